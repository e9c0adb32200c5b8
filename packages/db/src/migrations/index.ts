// Every migration, in order. Listed explicitly (not discovered by glob) so that they load the same
// way under tsx, vitest and a bundle. `pnpm --filter @reins/db migration:create` writes a new file
// beside this one; add it to this list.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125205025_init } from './Migration20261125205025_init.js';
import { Migration20261125205645_org_budgets } from './Migration20261125205645_org_budgets.js';
import { Migration20261125214458_replayable_evaluations } from './Migration20261125214458_replayable_evaluations.js';
import { Migration20261125224819_issue5_agents_vendors_reservations_alerts } from './Migration20261125224819_issue5_agents_vendors_reservations_alerts.js';
import { Migration20261125233000_audit_trigger_columns } from './Migration20261125233000_audit_trigger_columns.js';
import { Migration20261125234304_audit_chain_table } from './Migration20261125234304_audit_chain_table.js';
import { Migration20261203085956_counters_from_ledger } from './Migration20261203085956_counters_from_ledger.js';
import { Migration20261203091502_budgets } from './Migration20261203091502_budgets.js';
import { Migration20261203113938_review_queue } from './Migration20261203113938_review_queue.js';
import { Migration20261203114044_backtests } from './Migration20261203114044_backtests.js';
import { Migration20261203114052_analytics_rollups } from './Migration20261203114052_analytics_rollups.js';
import { Migration20261203114711_notification_outbox_alert_index } from './Migration20261203114711_notification_outbox_alert_index.js';
import { Migration20261203123153_rollup_action } from './Migration20261203123153_rollup_action.js';
import { Migration20261203123250_audit_verifications } from './Migration20261203123250_audit_verifications.js';
import { Migration20261203123619_list_indexes } from './Migration20261203123619_list_indexes.js';
import { Migration20261203145545_dashboard_users } from './Migration20261203145545_dashboard_users.js';
import { Migration20261203150500_agent_rollup_grains } from './Migration20261203150500_agent_rollup_grains.js';
import { Migration20261203152545_rule_hits_index } from './Migration20261203152545_rule_hits_index.js';
import { Migration20261203152928_channel_deliveries_index } from './Migration20261203152928_channel_deliveries_index.js';
import { Migration20261203200200_idempotent_transactions } from './Migration20261203200200_idempotent_transactions.js';
import { Migration20261203224000_batch_lookup_functions } from './Migration20261203224000_batch_lookup_functions.js';
import { Migration20261203234500_batch_lookups_custom_plans } from './Migration20261203234500_batch_lookups_custom_plans.js';
import { Migration20261203235500_drop_batch_lookup_functions } from './Migration20261203235500_drop_batch_lookup_functions.js';
import { Migration20261204032502_partition_by_month } from './Migration20261204032502_partition_by_month.js';
import { Migration20261204033645_budget_leases } from './Migration20261204033645_budget_leases.js';
import { Migration20261204101856_org_led_keys } from './Migration20261204101856_org_led_keys.js';
import { Migration20261204130247_xid_shift } from './Migration20261204130247_xid_shift.js';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125205025_init', class: Migration20261125205025_init },
  { name: 'Migration20261125205645_org_budgets', class: Migration20261125205645_org_budgets },
  {
    name: 'Migration20261125214458_replayable_evaluations',
    class: Migration20261125214458_replayable_evaluations,
  },
  {
    name: 'Migration20261125224819_issue5_agents_vendors_reservations_alerts',
    class: Migration20261125224819_issue5_agents_vendors_reservations_alerts,
  },
  {
    name: 'Migration20261125233000_audit_trigger_columns',
    class: Migration20261125233000_audit_trigger_columns,
  },
  {
    name: 'Migration20261125234304_audit_chain_table',
    class: Migration20261125234304_audit_chain_table,
  },
  {
    name: 'Migration20261203085956_counters_from_ledger',
    class: Migration20261203085956_counters_from_ledger,
  },
  { name: 'Migration20261203091502_budgets', class: Migration20261203091502_budgets },
  { name: 'Migration20261203113938_review_queue', class: Migration20261203113938_review_queue },
  { name: 'Migration20261203114044_backtests', class: Migration20261203114044_backtests },
  {
    name: 'Migration20261203114052_analytics_rollups',
    class: Migration20261203114052_analytics_rollups,
  },
  {
    name: 'Migration20261203114711_notification_outbox_alert_index',
    class: Migration20261203114711_notification_outbox_alert_index,
  },
  { name: 'Migration20261203123153_rollup_action', class: Migration20261203123153_rollup_action },
  {
    name: 'Migration20261203123250_audit_verifications',
    class: Migration20261203123250_audit_verifications,
  },
  { name: 'Migration20261203123619_list_indexes', class: Migration20261203123619_list_indexes },
  {
    name: 'Migration20261203145545_dashboard_users',
    class: Migration20261203145545_dashboard_users,
  },
  {
    name: 'Migration20261203150500_agent_rollup_grains',
    class: Migration20261203150500_agent_rollup_grains,
  },
  {
    name: 'Migration20261203152545_rule_hits_index',
    class: Migration20261203152545_rule_hits_index,
  },
  {
    name: 'Migration20261203152928_channel_deliveries_index',
    class: Migration20261203152928_channel_deliveries_index,
  },
  {
    name: 'Migration20261203200200_idempotent_transactions',
    class: Migration20261203200200_idempotent_transactions,
  },
  {
    name: 'Migration20261203224000_batch_lookup_functions',
    class: Migration20261203224000_batch_lookup_functions,
  },
  {
    name: 'Migration20261203234500_batch_lookups_custom_plans',
    class: Migration20261203234500_batch_lookups_custom_plans,
  },
  {
    name: 'Migration20261203235500_drop_batch_lookup_functions',
    class: Migration20261203235500_drop_batch_lookup_functions,
  },
  {
    name: 'Migration20261204032502_partition_by_month',
    class: Migration20261204032502_partition_by_month,
  },
  {
    name: 'Migration20261204033645_budget_leases',
    class: Migration20261204033645_budget_leases,
  },
  { name: 'Migration20261204101856_org_led_keys', class: Migration20261204101856_org_led_keys },
  { name: 'Migration20261204130247_xid_shift', class: Migration20261204130247_xid_shift },
];
