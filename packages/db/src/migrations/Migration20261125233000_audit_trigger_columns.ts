import { Migration } from '@mikro-orm/migrations';

/**
 * The append-only trigger compared whole rows as jsonb (`to_jsonb(new) - … = to_jsonb(old) - …`):
 * about 90 ms of database CPU per 1,000 sealed events, most of a seal batch, taken from the hot
 * path on the same server. Comparing the columns is the same rule at a fraction of the cost.
 * A column added to audit_event must be added here too; schema.integration.test.ts fails until
 * it is.
 */
export class Migration20261125233000_audit_trigger_columns extends Migration {
  override up(): void {
    this
      .addSql(`create or replace function "audit_event_append_only"() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.hash is null
     and (new.id, new.org_id, new.event_type, new.occurred_at, new.actor, new.entity_type,
          new.entity_id, new.metadata)
         is not distinct from
         (old.id, old.org_id, old.event_type, old.occurred_at, old.actor, old.entity_type,
          old.entity_id, old.metadata) then
    return new;
  end if;
  raise exception 'audit_event is append-only: % refused', tg_op
    using errcode = '42501',
          hint = 'Only the one-time fill of seq, prev_hash and hash on an unsealed row is allowed.';
end;
$$;`);
  }

  override down(): void {
    this
      .addSql(`create or replace function "audit_event_append_only"() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.hash is null
     and (to_jsonb(new) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(old) - 'seq' - 'prev_hash' - 'hash') then
    return new;
  end if;
  raise exception 'audit_event is append-only: % refused', tg_op
    using errcode = '42501',
          hint = 'Only the one-time fill of seq, prev_hash and hash on an unsealed row is allowed.';
end;
$$;`);
  }
}
