"""The engine's golden vectors through ``evaluate_policy``: each vector's organization seeded on
the real server (rules over the API in their own dialect, window totals as counter rows), the
server's clock pinned to the vector's ``now``; the SDK's answer must be the decision the
TypeScript engine reaches for the same vector, and what the vector expects."""

import datetime
import unittest
from typing import Any, Dict, List, Optional

from tests.harness import server

from reins import Reins

DETAIL_KEYS = ("limit", "current", "timeWindow", "unit")


def instant(v: Optional[str]) -> Optional[datetime.datetime]:
    if v is None:
        return None
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))


class GoldenVectorsTest(unittest.TestCase):
    def test_evaluate_policy_agrees_with_the_typescript_engine_on_every_vector(self) -> None:
        s = server()
        counts = s.call("vectorCount")
        # The server's own HTTP vector test skips the same few (non-monthly agent budgets,
        # ties on server-assigned ids, inputs contradicting the price table).
        self.assertGreaterEqual(counts["runnable"], 250)
        checked = 0
        actions = set()
        for i in range(counts["runnable"]):
            v = s.call("seedVector", index=i)
            with self.subTest(v["name"]):
                actions.add(self.check(v))
                checked += 1
        self.assertEqual(checked, counts["runnable"])
        # The vectors reach every kind of decision.
        self.assertLessEqual({"pass", "block", "warn", "flag", "notify", "log"}, actions)

    def check(self, v: Dict[str, Any]) -> str:
        s = server()
        c = Reins(v["key"], s.url)
        id_map: Dict[str, str] = v["idMap"]

        def vid(rule_id: Optional[str]) -> Optional[str]:
            return None if rule_id is None else id_map.get(rule_id, rule_id)

        s.call("clock", at=v["now"])
        try:
            res = c.evaluate_policy(v["body"])
        finally:
            s.call("clock", at=None)
        result = res["result"]
        engine = v["engine"]
        expect = v["expect"]

        # The decision, as the TypeScript engine reached it.
        self.assertEqual(result["action"], engine["action"])
        self.assertEqual(vid(result["ruleId"]), engine["ruleId"])
        self.assertEqual(result["ruleName"], engine["ruleName"])
        self.assertEqual(result["message"], engine["message"])
        details = result["details"]
        for k in DETAIL_KEYS:
            self.assertEqual(details.get(k), engine["details"].get(k), "details.%s" % k)
        self.assertEqual(instant(details.get("resetsAt")), instant(engine["details"].get("resetsAt")))
        self.assertEqual(vid(details.get("ruleId")), engine["details"].get("ruleId", engine["ruleId"]))
        trace: List[Dict[str, Any]] = res["evaluatedRules"]
        self.assertEqual(
            [(vid(t["ruleId"]), t["matched"], t["reached"]) for t in trace],
            [(t["ruleId"], t["matched"], t["reached"]) for t in engine["trace"]],
        )
        self.assertEqual(
            sorted(vid(sh["ruleId"]) or "" for sh in res["shadow"]), sorted(engine["shadow"])
        )

        # And what the vector expects.
        self.assertEqual((result["action"], vid(result["ruleId"])), (expect["action"], expect["ruleId"]))
        if "message" in expect:
            self.assertEqual(result["message"], expect["message"])
        for k, want in (expect.get("details") or {}).items():
            got = vid(details.get(k)) if k == "ruleId" else details.get(k)
            if k == "resetsAt":
                self.assertEqual(instant(got), instant(want))
            else:
                self.assertEqual(got, want, "details.%s" % k)
        return str(result["action"])


if __name__ == "__main__":
    unittest.main()
