import { Migration } from '@mikro-orm/migrations';

/**
 * Audit events' transaction ids through `reins_xid_shift()`, so that a logical restore into
 * another cluster does not leave new events below the chain head, unsealed (see xidShift.ts).
 * The shift starts at 0: nothing stored changes.
 */
export class Migration20261204130247_xid_shift extends Migration {
  override up(): void {
    this.addSql(
      `create or replace function reins_xid_shift() returns bigint language sql immutable parallel safe as $$ select 0::bigint $$;`,
    );
    this.addSql(
      `create or replace function reins_xid_now() returns xid8 language sql stable parallel unsafe as $$ select (pg_current_xact_id()::text::bigint + reins_xid_shift())::text::xid8 $$;`,
    );
    this.addSql(
      `create or replace function reins_xid_horizon() returns xid8 language sql stable parallel safe as $$ select (pg_snapshot_xmin(pg_current_snapshot())::text::bigint + reins_xid_shift())::text::xid8 $$;`,
    );
    this.addSql(`alter table "audit_event" alter column "xid" set default reins_xid_now();`);
  }

  // Back to the unshifted ids: right only while the shift is 0 (no restore since this `up`).
  override down(): void {
    this.addSql(`alter table "audit_event" alter column "xid" set default pg_current_xact_id();`);
    this.addSql(`drop function if exists reins_xid_horizon();`);
    this.addSql(`drop function if exists reins_xid_now();`);
    this.addSql(`drop function if exists reins_xid_shift();`);
  }
}
