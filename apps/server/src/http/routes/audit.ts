import { id, type RouteDef } from '../routeTypes.js';
import {
  auditCsvInput,
  listAuditInput,
  startVerificationInput,
  verifyAuditInput,
} from '../../schemas/audit.js';
import { exportAuditCsv, listAuditLog, verifyAuditLog } from '../../services/auditLog.js';
import { getAuditVerification, startAuditVerification } from '../../services/auditVerifications.js';
import { AuditLog, AuditVerificationBody, AuditVerify } from '../responses/oversight.js';

/** The audit log (`/api/v1/audit-log`). */
export const auditRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/v1/audit-log',
    operationId: 'listAuditEvents',
    response: AuditLog,
    summary:
      'List audit events, newest first (filters action, entityType, startDate, endDate; cursor pagination)',
    tag: 'Audit log',
    permission: 'audit:read',
    envelope: 'docs',
    status: 200,
    query: listAuditInput,
    run: (ctx, i) => listAuditLog(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/v1/audit-log/csv',
    operationId: 'exportAuditCsv',
    response: null,
    summary:
      'Export the filtered audit log as CSV (streamed; id,eventType,occurredAt,actor,entityType,entityId,vendor,action)',
    tag: 'Audit log',
    permission: 'audit:read',
    envelope: 'stream',
    status: 200,
    query: auditCsvInput,
    run: (ctx, i) => Promise.resolve(exportAuditCsv(ctx, i.query)),
  },
  {
    method: 'GET',
    url: '/api/v1/audit-log/verify',
    operationId: 'verifyAuditLog',
    response: AuditVerify,
    summary:
      "Seal pending events, then verify the organization's audit hash chain from the last verified checkpoint",
    tag: 'Audit log',
    permission: 'audit:read',
    envelope: 'docs',
    status: 200,
    query: verifyAuditInput,
    run: (ctx, i) => verifyAuditLog(ctx, i.query),
  },
  {
    method: 'POST',
    url: '/api/v1/audit-log/verifications',
    operationId: 'startAuditVerification',
    response: AuditVerificationBody,
    summary:
      'Start a full verification of the audit hash chain from its start (a background job; poll it)',
    tag: 'Audit log',
    permission: 'audit:read',
    envelope: 'docs',
    status: 202,
    body: startVerificationInput,
    run: async (ctx, i) => ({ verification: await startAuditVerification(ctx, i.body) }),
  },
  {
    method: 'GET',
    url: '/api/v1/audit-log/verifications/:id',
    operationId: 'getAuditVerification',
    response: AuditVerificationBody,
    summary:
      'A full verification of the audit hash chain: status, progress and, when done, the result',
    tag: 'Audit log',
    permission: 'audit:read',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => ({ verification: await getAuditVerification(ctx, id(i)) }),
  },
];
