import { id, type RouteDef } from '../routeTypes.js';
import { listAlertsInput } from '../../schemas/alerts.js';
import { getAlert, listAlerts, markAlertRead } from '../../services/alerts.js';
import { AlertList, AlertRead, OneAlert } from '../responses/oversight.js';

/** Policy alerts (`/api/policy-alerts`). */
export const alertsRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/policy-alerts',
    operationId: 'listPolicyAlerts',
    response: AlertList,
    summary: 'List policy alerts, newest first (filters read, ruleId; cursor pagination)',
    tag: 'Alerts',
    permission: 'alerts:read',
    envelope: 'docs',
    status: 200,
    query: listAlertsInput,
    run: (ctx, i) => listAlerts(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/policy-alerts/:id',
    operationId: 'getPolicyAlert',
    response: OneAlert,
    summary: 'Get one policy alert',
    tag: 'Alerts',
    permission: 'alerts:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getAlert(ctx, id(i)),
  },
  {
    method: 'PUT',
    url: '/api/policy-alerts/:id/read',
    operationId: 'markPolicyAlertRead',
    examples: { response: { success: true, id: 'alert_8x2k9p', read: true } },
    response: AlertRead,
    summary: 'Mark a policy alert read (idempotent)',
    tag: 'Alerts',
    permission: 'alerts:write',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => markAlertRead(ctx, id(i)),
  },
];
