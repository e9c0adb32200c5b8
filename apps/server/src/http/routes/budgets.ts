import { updateOrgInput } from '../../schemas/org.js';
import { listBudgetsInput, putBudgetInput } from '../../schemas/budgets.js';
import {
  budgetUsage,
  deleteBudget,
  getBudget,
  listBudgets,
  putBudget,
} from '../../services/budgets.js';
import { getOrg, updateOrg } from '../../services/orgs.js';
import type { RouteDef, RouteInput } from '../routeTypes.js';
import {
  BudgetList,
  BudgetUsageBody,
  DeletedBudget,
  OneBudget,
  OrgBody,
} from '../responses/registry.js';

const kindOf = (i: RouteInput): string => i.params.kind ?? '';
const subjectOf = (i: RouteInput): string => i.params.id ?? '';

/** The organization's settings and budgets (`/api/org`), and the budgets of roles, teams, projects. */
export const budgetsRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/org',
    operationId: 'getOrganization',
    response: OrgBody,
    summary: "The caller's organization: name, time zone, default action, budgets per period",
    tag: 'Organization and budgets',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: (ctx) => getOrg(ctx),
  },
  {
    method: 'PUT',
    url: '/api/org',
    operationId: 'updateOrganization',
    response: OrgBody,
    summary:
      "Partially update the caller's organization (name, timeZone, defaultAction, <period>BudgetCents; null clears a budget)",
    tag: 'Organization and budgets',
    permission: 'org:admin',
    envelope: 'docs',
    status: 200,
    body: updateOrgInput,
    run: (ctx, i) => updateOrg(ctx, i.body),
  },
  {
    method: 'GET',
    url: '/api/budgets/usage',
    operationId: 'getBudgetUsage',
    response: BudgetUsageBody,
    summary:
      'What the organization, each team, project and agent has spent in the current hourly, daily, weekly and monthly windows',
    tag: 'Organization and budgets',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: async (ctx) => ({ usage: await budgetUsage(ctx) }),
  },
  {
    method: 'GET',
    url: '/api/budgets',
    operationId: 'listBudgets',
    response: BudgetList,
    summary: 'List the budgets of user roles, teams and projects (filter kind)',
    tag: 'Organization and budgets',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    query: listBudgetsInput,
    run: (ctx, i) => listBudgets(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/budgets/:kind/:id',
    operationId: 'getBudget',
    response: OneBudget,
    summary: 'Get the budget of a role, team or project (kind: roles, teams, projects)',
    tag: 'Organization and budgets',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getBudget(ctx, kindOf(i), subjectOf(i)),
  },
  {
    method: 'PUT',
    url: '/api/budgets/:kind/:id',
    operationId: 'putBudget',
    response: OneBudget,
    summary:
      'Set the budget of a role, team or project per period (<period>BudgetCents; null clears one)',
    tag: 'Organization and budgets',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    body: putBudgetInput,
    run: (ctx, i) => putBudget(ctx, kindOf(i), subjectOf(i), i.body),
  },
  {
    method: 'DELETE',
    url: '/api/budgets/:kind/:id',
    operationId: 'deleteBudget',
    response: DeletedBudget,
    summary: 'Remove the budget of a role, team or project',
    tag: 'Organization and budgets',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => deleteBudget(ctx, kindOf(i), subjectOf(i)),
  },
];
