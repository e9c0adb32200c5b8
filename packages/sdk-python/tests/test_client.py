"""Every method of ``Reins`` against a real Reins server, each test in its own organization."""

import io
import os
import tempfile
import time
import unittest
import uuid

from tests.harness import client, server

from reins import Reins, ReinsError

OVER_FIVE_DOLLARS = {
    "name": "Block transactions over $5",
    "priority": 1,
    "conditions": {"amountCents": {"min": 500}},
    "action": "block",
    "actionConfig": {"message": "Individual transactions over $5 are not permitted."},
}


class TransactionsTest(unittest.TestCase):
    def test_submit_records_the_transaction_and_answers_its_id(self) -> None:
        c = client()
        res = c.submit_transaction(
            {"amount": 150, "vendor": "openai", "model": "gpt-4", "userId": "user-123"}
        )
        self.assertTrue(res["success"])
        self.assertTrue(res["id"].startswith("txn_"))
        self.assertEqual(res["policyResult"]["action"], "pass")
        got = c.get_transaction(res["id"])["transaction"]
        self.assertEqual(
            (got["amount"], got["vendor"], got["model"], got["userId"]),
            (150, "openai", "gpt-4", "user-123"),
        )

    def test_a_block_is_a_result_not_an_exception(self) -> None:
        c = client()
        rule = c.create_rule(OVER_FIVE_DOLLARS)
        res = c.submit_transaction({"amount": 600, "vendor": "openai", "model": "gpt-4"})
        self.assertFalse(res["success"])
        self.assertEqual(res["code"], "POLICY_VIOLATION")
        self.assertEqual(res["action"], "block")
        self.assertEqual(res["policyResult"]["ruleId"], rule["id"])
        self.assertEqual(
            res["policyResult"]["message"], "Individual transactions over $5 are not permitted."
        )
        self.assertEqual(c.get_transaction(res["id"])["transaction"]["action"], "block")
        self.assertEqual(c.stats()["failedOpen"], 0)

    def test_retries_with_the_same_idempotency_key_record_once(self) -> None:
        c = client()
        tx = {"amount": 42, "vendor": "anthropic", "model": "claude-3-5-sonnet-latest"}
        first = c.submit_transaction(tx, idempotency_key="retry-1")
        again = c.submit_transaction(tx, idempotency_key="retry-1")
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(c.list_transactions()["total"], 1)
        # Without a key, each call gets a fresh one: two calls, two transactions.
        c.submit_transaction(tx)
        c.submit_transaction(tx)
        self.assertEqual(c.list_transactions()["total"], 3)
        with self.assertRaises(ReinsError) as ctx:
            c.submit_transaction({"amount": 43, "vendor": "anthropic"}, idempotency_key="retry-1")
        self.assertEqual(ctx.exception.status, 409)
        self.assertEqual(ctx.exception.code, "IDEMPOTENCY_CONFLICT")

    def test_validation_errors_raise_with_code_status_message_and_field(self) -> None:
        c = client()
        with self.assertRaises(ReinsError) as ctx:
            c.submit_transaction({"amount": 1, "vendor": "acme"})
        e = ctx.exception
        self.assertEqual((e.code, e.status, e.field), ("VALIDATION_ERROR", 422, "vendor"))
        self.assertIn("must be one of", e.message)
        with self.assertRaises(ReinsError) as nf:
            c.get_transaction("txn_doesnotexist")
        self.assertEqual((nf.exception.status, nf.exception.code), (404, "NOT_FOUND"))
        with self.assertRaises(ValueError):
            c.get_transaction("..")

    def test_submit_bulk_answers_one_result_per_item_and_replays_by_key(self) -> None:
        c = client()
        c.create_rule(OVER_FIVE_DOLLARS)
        txs = [{"amount": 100, "vendor": "openai"}, {"amount": 900, "vendor": "openai"}]
        res = c.submit_bulk(txs, idempotency_key="bulk-1")
        self.assertEqual([r["success"] for r in res["results"]], [True, False])
        self.assertEqual(res["results"][1]["action"], "block")
        self.assertEqual(res["results"][1]["index"], 1)
        again = c.submit_bulk(txs, idempotency_key="bulk-1")
        self.assertEqual(
            [r.get("id") for r in again["results"]], [r.get("id") for r in res["results"]]
        )
        self.assertEqual(c.list_transactions()["total"], 2)

    def test_evaluate_policy_decides_without_recording(self) -> None:
        c = client()
        rule = c.create_rule(OVER_FIVE_DOLLARS)
        dry = c.evaluate_policy({"amount": 600, "vendor": "openai", "agentId": "support-bot"})
        self.assertEqual(dry["result"]["action"], "block")
        self.assertEqual(dry["result"]["ruleId"], rule["id"])
        self.assertEqual([r["ruleId"] for r in dry["evaluatedRules"]], [rule["id"]])
        self.assertEqual(c.evaluate_policy({"amount": 320, "vendor": "openai"})["result"]["action"], "pass")
        self.assertEqual(c.list_transactions()["total"], 0)

    def test_lists_filter_page_and_iterate(self) -> None:
        c = client()
        ids = []
        for i in range(5):
            ids.append(
                c.submit_transaction(
                    {"amount": 10 + i, "vendor": "openai", "agentId": "a-%d" % (i % 2)}
                )["id"]
            )
        first = c.list_transactions(limit=2)
        self.assertEqual(len(first["transactions"]), 2)
        self.assertIsNotNone(first["nextCursor"])
        self.assertEqual(c.list_transactions({"agentId": "a-0"})["total"], 3)
        # Page by page (2 a request), every transaction once, newest first.
        walked = list(c.iter_transactions(limit=2))
        self.assertEqual(sorted(t["id"] for t in walked), sorted(ids))
        stamps = [t["timestamp"] for t in walked]
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
        self.assertEqual(c.list_transactions(startDate=tomorrow)["total"], 0)

    def test_get_trace_replays_every_rule(self) -> None:
        c = client()
        rule = c.create_rule(OVER_FIVE_DOLLARS)
        res = c.submit_transaction({"amount": 100, "vendor": "openai"})
        trace = c.get_trace(res["id"])
        self.assertEqual(trace["evaluatedRules"][0]["ruleId"], rule["id"])
        self.assertFalse(trace["evaluatedRules"][0]["matched"])

    def test_review_a_flagged_transaction(self) -> None:
        c = client()
        c.create_rule({"name": "Flag all", "priority": 1, "action": "flag"})
        flagged = c.submit_transaction({"amount": 5, "vendor": "openai"})
        self.assertEqual(flagged["action"], "flag")
        self.assertEqual(c.list_transactions(review="open")["total"], 1)
        reviewed = c.review_transaction(flagged["id"], "rejected", note="no")
        self.assertTrue(reviewed["success"])
        self.assertEqual(c.list_transactions(review="rejected")["total"], 1)
        with self.assertRaises(ReinsError) as ctx:
            c.review_transaction(flagged["id"], "approved")
        self.assertEqual(ctx.exception.status, 409)


class ReservationsTest(unittest.TestCase):
    def test_reserve_then_settle_replaces_the_hold(self) -> None:
        c = client()
        held = c.reserve({"amount": 300, "vendor": "openai", "model": "gpt-4o"})
        self.assertTrue(held["success"])
        self.assertEqual(c.get_transaction(held["id"])["transaction"]["status"], "reserved")
        settled = c.settle(held["id"], {"amount": 250, "tokensOut": 40}, idempotency_key="s-1")
        again = c.settle(held["id"], {"amount": 250, "tokensOut": 40}, idempotency_key="s-1")
        self.assertEqual(settled, again)
        tx = c.get_transaction(held["id"])["transaction"]
        self.assertEqual((tx["status"], tx["amount"], tx["tokensOut"]), ("settled", 250, 40))

    def test_void_releases_the_hold(self) -> None:
        c = client()
        held = c.reserve({"amount": 120, "vendor": "openai"})
        voided = c.void(held, "call failed")
        self.assertTrue(voided["success"])
        self.assertEqual(c.get_transaction(held["id"])["transaction"]["status"], "voided")

    def test_a_reservation_over_a_limit_is_blocked(self) -> None:
        c = client()
        c.create_rule(OVER_FIVE_DOLLARS)
        res = c.reserve({"amount": 700, "vendor": "openai"})
        self.assertEqual(res["action"], "block")


class RulesTest(unittest.TestCase):
    def test_docs_dialect_crud_and_hits(self) -> None:
        c = client()
        created = c.create_rule(
            {
                "name": "GPT-4 cap",
                "conditions": {"vendors": ["openai"], "amountCents": {"min": 100}},
                "action": "block",
            }
        )
        rid = created["id"]
        self.assertEqual(c.list_rules()["count"], 1)
        self.assertEqual(c.get_rule(rid)["rule"]["name"], "GPT-4 cap")
        updated = c.update_rule(rid, {"enabled": False, "priority": 10})
        self.assertFalse(updated["rule"]["enabled"])
        self.assertEqual(c.list_rules(enabled=True)["count"], 0)
        c.update_rule(rid, {"enabled": True})
        blocked = c.submit_transaction({"amount": 150, "vendor": "openai"})
        hits = c.get_rule_hits(rid)
        self.assertEqual(blocked["action"], "block")
        self.assertEqual(hits["hits"]["ruleId"], rid)
        self.assertEqual(sum(d["blocked"] for d in hits["hits"]["days"]), 1)
        self.assertTrue(c.delete_rule(rid)["deleted"])
        with self.assertRaises(ReinsError) as ctx:
            c.get_rule(rid)
        self.assertEqual(ctx.exception.status, 404)
        with self.assertRaises(ReinsError) as bad:
            c.create_rule({"name": "bad", "action": "block", "conditions": {"amountCents": {"min": -1}}})
        self.assertEqual(bad.exception.field, "conditions.amountCents.min")

    def test_typed_dialect_crud(self) -> None:
        c = client()
        created = c.create_typed_rule(
            {
                "type": "model_filter",
                "name": "No GPT-4",
                "scope": "org",
                "condition": {"model": {"in": ["gpt-4"]}},
                "action": "block",
            }
        )
        rid = created["id"]
        self.assertEqual(created["scope_id"], c.get_org()["org"]["id"])
        self.assertEqual([r["id"] for r in c.list_typed_rules()["data"]], [rid])
        self.assertEqual(c.get_typed_rule(rid)["type"], "model_filter")
        # The docs dialect lists it too.
        self.assertEqual(c.get_rule(rid)["rule"]["name"], "No GPT-4")
        self.assertEqual(c.update_typed_rule(rid, {"name": "No GPT-4 at all"})["name"], "No GPT-4 at all")
        res = c.submit_transaction({"amount": 1, "vendor": "openai", "model": "gpt-4"})
        self.assertEqual((res["action"], res["policyResult"]["ruleId"]), ("block", rid))
        c.delete_typed_rule(rid)
        self.assertEqual(c.list_typed_rules()["data"], [])

    def test_backtest_is_queued_and_read(self) -> None:
        c = client()
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * 86400))
        started = c.start_backtest(
            {
                "rules": [{"name": "Cap", "conditions": {"timeWindow": "daily"}, "action": "block", "actionConfig": {"limitCents": 100}}],
                "startDate": day,
                "endDate": day,
            }
        )
        self.assertEqual(started["backtest"]["status"], "queued")
        got = c.get_backtest(started["backtest"]["id"])
        self.assertEqual(got["backtest"]["id"], started["backtest"]["id"])
        self.assertEqual(got["backtest"]["ruleCount"], 1)


class OrgBudgetsAgentsTest(unittest.TestCase):
    def test_org_settings_and_budgets(self) -> None:
        c = client()
        self.assertEqual(c.get_org()["org"]["timeZone"], "UTC")
        updated = c.update_org({"dailyBudgetCents": 10000, "timeZone": "Europe/Berlin"})
        self.assertEqual(updated["org"]["dailyBudgetCents"], 10000)
        self.assertEqual(c.get_org()["org"]["timeZone"], "Europe/Berlin")
        budget = c.set_budget("roles", "free", {"dailyBudgetCents": 500})
        self.assertEqual(c.get_budget("roles", "free")["budget"], budget["budget"])
        self.assertEqual(c.list_budgets("roles")["count"], 1)
        usage = c.get_budget_usage()
        self.assertIn("usage", usage)
        self.assertTrue(c.delete_budget("roles", "free")["deleted"])
        self.assertEqual(c.list_budgets()["count"], 0)

    def test_agents_crud(self) -> None:
        c = client()
        reg = c.register_agent({"agentId": "support-bot-v2", "name": "Support", "vendor": "openai", "monthlyBudgetCents": 50000})
        self.assertEqual(reg["agent"]["agentId"], "support-bot-v2")
        c.create_agent({"agentId": "team/pipeline@v3", "name": "Pipeline"})
        self.assertEqual([a["agentId"] for a in c.list_agents()["agents"]], ["support-bot-v2", "team/pipeline@v3"])
        self.assertEqual(c.list_agents(vendor="openai")["count"], 1)
        self.assertEqual(c.get_agent("team/pipeline@v3")["agent"]["name"], "Pipeline")
        up = c.update_agent("support-bot-v2", {"monthlyBudgetCents": 60000, "vendor": None})
        self.assertEqual(up["agent"]["monthlyBudgetCents"], 60000)
        self.assertTrue(c.delete_agent("team/pipeline@v3")["deleted"])
        with self.assertRaises(ReinsError):
            c.get_agent("team/pipeline@v3")


class VendorsTest(unittest.TestCase):
    def test_vendors_prices_and_overrides(self) -> None:
        c = client()
        vendors = c.list_vendors()["vendors"]
        self.assertIn("openai", [v["vendor"] for v in vendors])
        self.assertEqual(c.get_vendor("openai")["vendor"]["vendor"], "openai")
        self.assertEqual(c.update_vendor("openai", {"rateLimitRpm": 100})["vendor"]["rateLimitRpm"], 100)
        c.update_vendor("mistral", {"enabled": False})
        self.assertEqual(c.submit_transaction({"amount": 5, "vendor": "mistral"})["action"], "block")
        prices = c.list_prices("openai")
        self.assertTrue(len(prices["models"]) > 0)
        c.list_prices("openai", at="2025-01-01T00:00:00Z")
        override = c.create_price_override("openai", {"model": "my-finetune*", "inputPerMtokUsd": 1, "outputPerMtokUsd": 2})
        oid = override["override"]["id"]
        self.assertEqual([o["id"] for o in c.list_price_overrides("openai")["overrides"]], [oid])
        c.delete_price_override("openai", oid)
        self.assertEqual(c.list_price_overrides("openai")["overrides"], [])
        with self.assertRaises(ReinsError) as ctx:
            c.get_vendor("acme")
        self.assertEqual(ctx.exception.status, 404)


class AlertsChannelsTest(unittest.TestCase):
    def test_alerts_are_listed_read_and_marked(self) -> None:
        c = client()
        rule = c.create_rule({"name": "Warn on anything", "conditions": {"amountCents": {"min": 1}}, "action": "warn", "actionConfig": {"message": "Spend noticed"}})
        res = c.submit_transaction({"amount": 75, "vendor": "openai"})
        self.assertEqual(res["action"], "warn")
        unread = c.list_alerts(read=False)
        self.assertEqual(unread["total"], 1)
        alert = unread["alerts"][0]
        self.assertEqual((alert["ruleId"], alert["transactionId"]), (rule["id"], res["id"]))
        self.assertEqual(c.mark_alert_read(alert["id"]), {"success": True, "id": alert["id"], "read": True})
        self.assertEqual(c.list_alerts(read=False)["total"], 0)
        self.assertIsNotNone(c.get_alert(alert["id"])["alert"]["readAt"])

    def test_channels_crud_test_and_deliveries(self) -> None:
        c = client()
        created = c.create_channel({"name": "Ops hook", "type": "webhook", "url": "https://hooks.example.com/reins"})
        ch = created["channel"]
        self.assertTrue(ch["secret"])
        self.assertEqual([x["id"] for x in c.list_channels()["channels"]], [ch["id"]])
        self.assertEqual(c.get_channel(ch["id"])["channel"]["name"], "Ops hook")
        self.assertEqual(c.update_channel(ch["id"], {"name": "Ops"})["channel"]["name"], "Ops")
        c.test_channel(ch["id"])
        deliveries = c.list_channel_deliveries(ch["id"])
        self.assertEqual(len(deliveries["deliveries"]), 1)
        self.assertTrue(c.delete_channel(ch["id"])["deleted"])
        self.assertEqual(c.list_channels()["channels"], [])


class AnalyticsTest(unittest.TestCase):
    def test_summary_forecast_anomalies(self) -> None:
        c = client()
        c.submit_transaction({"amount": 250, "vendor": "openai", "agentId": "sdk-analytics"})
        c.submit_transaction({"amount": 150, "vendor": "anthropic", "agentId": "sdk-analytics"})
        summary = c.get_analytics_summary(period="monthly", groupBy="day")
        self.assertEqual(summary["totalSpendCents"], 400)
        self.assertEqual(summary["byVendor"], {"openai": 250, "anthropic": 150})
        self.assertEqual(sum(p["spendCents"] for p in summary["series"]), 400)
        forecast = c.get_forecast(agentId="sdk-analytics")
        self.assertEqual(forecast["totalSpendCents"], 400)
        self.assertGreaterEqual(forecast["projectedSpendCents"], 400)
        anomalies = c.get_anomalies(hours=6)
        self.assertEqual((anomalies["hours"], anomalies["anomalies"]), (6, []))
        with self.assertRaises(ReinsError) as ctx:
            c.get_analytics_summary(groupBy="week")
        self.assertEqual(ctx.exception.code, "VALIDATION_ERROR")


class AuditTest(unittest.TestCase):
    def test_list_iterate_csv_to_a_file_and_verify(self) -> None:
        c = client()
        rule = c.create_rule(OVER_FIVE_DOLLARS)
        block = c.submit_transaction({"amount": 700, "vendor": "openai"})
        c.submit_transaction({"amount": 7, "vendor": "anthropic"})
        rules = c.list_audit_events(entityType="policy_rule")
        self.assertEqual([e["entityId"] for e in rules["events"]], [rule["id"]])
        blocks = c.list_audit_events(limit=50, action="policy_rule.block")
        self.assertEqual(blocks["events"][0]["entityId"], block["id"])
        total = c.list_audit_events(limit=1)["total"]
        events = list(c.iter_audit_events(limit=1))
        self.assertEqual(len(events), total)
        self.assertEqual(len({e["id"] for e in events}), total)

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.csv")
            written = c.download_audit_csv(path)
            with open(path, "rb") as f:
                data = f.read()
            self.assertEqual(written, len(data))
            lines = data.decode("utf-8").split("\r\n")
            self.assertEqual(lines[0], "id,eventType,occurredAt,actor,entityType,entityId,vendor,action")
            self.assertEqual(len(lines), total + 2)
            self.assertEqual(os.listdir(d), ["audit.csv"])
        buf = io.BytesIO()
        c.download_audit_csv(buf, action="policy_rule.block")
        self.assertIn(block["id"], buf.getvalue().decode("utf-8").split("\r\n")[1])

        verified = c.verify_audit_log()
        self.assertTrue(verified["valid"])
        self.assertIsNone(verified["firstBrokenLink"])
        started = c.start_audit_verification()
        vid = started["verification"]["id"]
        self.assertEqual(c.get_audit_verification(vid)["verification"]["id"], vid)

    def test_a_failed_download_leaves_no_file(self) -> None:
        reader = Reins("rk_test_notAKeyAtAll000000000000000", server().url)
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(ReinsError) as ctx:
                reader.download_audit_csv(os.path.join(d, "audit.csv"))
            self.assertEqual(ctx.exception.status, 401)
            self.assertEqual(os.listdir(d), [])


class KeysTest(unittest.TestCase):
    def test_create_list_revoke(self) -> None:
        c = client()
        created = c.create_key({"name": "production", "permissions": ["transactions:write", "policies:read"]})
        self.assertTrue(created["key"].startswith("rk_test_"))
        production = Reins(created["key"], server().url)
        self.assertTrue(production.submit_transaction({"amount": 1, "vendor": "openai"})["success"])
        listed = c.list_keys()["keys"]
        self.assertTrue(any(k["id"] == created["id"] and k["isActive"] for k in listed))
        self.assertNotIn(created["key"], str(listed))
        self.assertFalse(c.revoke_key(created["id"])["isActive"])
        # A refused key is not an outage: it raises, even though the client fails open.
        with self.assertRaises(ReinsError) as ctx:
            production.submit_transaction({"amount": 1, "vendor": "openai"})
        self.assertEqual((ctx.exception.status, ctx.exception.code), (401, "UNAUTHORIZED"))
        self.assertEqual(production.stats()["pending"], 0)

    def test_a_key_lacking_a_permission_is_forbidden(self) -> None:
        c = client()
        created = c.create_key({"name": "reader", "permissions": ["transactions:read"]})
        reader = Reins(created["key"], server().url)
        self.assertEqual(reader.list_transactions()["total"], 0)
        with self.assertRaises(ReinsError) as ctx:
            reader.create_rule(OVER_FIVE_DOLLARS)
        self.assertEqual(ctx.exception.status, 403)


class HealthTest(unittest.TestCase):
    def test_health_answers_ok(self) -> None:
        c = Reins(server().admin_key, server().url + "/")
        self.assertEqual(c.base_url, server().url)
        self.assertEqual(c.health(), {"success": True, "status": "ok", "database": "reachable"})

    def test_no_key_is_refused_before_any_request(self) -> None:
        saved = os.environ.pop("REINS_API_KEY", None)
        try:
            with self.assertRaises(ReinsError) as ctx:
                Reins(None, server().url)
            self.assertEqual(ctx.exception.code, "UNAUTHORIZED")
        finally:
            if saved is not None:
                os.environ["REINS_API_KEY"] = saved


if __name__ == "__main__":
    unittest.main()
