import { Migration } from '@mikro-orm/migrations';

export class Migration20261203123619_list_indexes extends Migration {
  override up(): void {
    this.addSql(
      `create index "audit_event_org_type_key_index" on "audit_event" ("org_id", "event_type" collate "C", "occurred_at" desc, "id" desc) where "event_type" collate "C" <> 'transaction.recorded';`,
    );
    this.addSql(
      `create index "audit_event_org_entity_key_index" on "audit_event" ("org_id", "entity_type", "occurred_at" desc, "id" desc) where "entity_type" <> 'transaction';`,
    );
    this.addSql(
      `create index "audit_event_org_rule_action_key_index" on "audit_event" ("org_id", ("metadata"->>'action'), "occurred_at" desc, "id" desc) where "metadata"->>'ruleId' is not null;`,
    );

    this.addSql(`drop index "transaction_record_org_agent_occurred_index";`);
    this.addSql(`drop index "transaction_record_org_user_occurred_index";`);

    this.addSql(
      `create index "transaction_record_org_agent_key_index" on "transaction_record" ("org_id", "agent_id", "occurred_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "transaction_record_org_user_key_index" on "transaction_record" ("org_id", "user_id", "occurred_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "transaction_record_org_vendor_key_index" on "transaction_record" ("org_id", "vendor", "occurred_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "transaction_record_org_action_key_index" on "transaction_record" ("org_id", "action", "occurred_at" desc, "id" desc) where "action" <> 'pass';`,
    );
    this.addSql(
      `create index "transaction_record_org_review_key_index" on "transaction_record" ("org_id", "review_state", "occurred_at" desc, "id" desc) where "review_state" is not null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index "audit_event_org_type_key_index";`);
    this.addSql(`drop index "audit_event_org_entity_key_index";`);
    this.addSql(`drop index "audit_event_org_rule_action_key_index";`);

    this.addSql(`drop index "transaction_record_org_agent_key_index";`);
    this.addSql(`drop index "transaction_record_org_user_key_index";`);
    this.addSql(`drop index "transaction_record_org_vendor_key_index";`);
    this.addSql(`drop index "transaction_record_org_action_key_index";`);
    this.addSql(`drop index "transaction_record_org_review_key_index";`);

    this.addSql(
      `create index "transaction_record_org_agent_occurred_index" on "transaction_record" ("org_id", "agent_id", "occurred_at" desc);`,
    );
    this.addSql(
      `create index "transaction_record_org_user_occurred_index" on "transaction_record" ("org_id", "user_id", "occurred_at" desc);`,
    );
  }
}
