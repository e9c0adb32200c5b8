"""``guard()`` against a real Reins server: the reservation before the provider call, a block
that stops it, the settle from the response's usage (objects and streams of the openai and
anthropic clients' shapes), the void on error, and fail-open while Reins is stopped."""

import unittest
from typing import Any, Dict, List

from tests import fakes
from tests.harness import client, server
from tests.test_failopen import reins_down

from reins import Reins, ReinsBlocked


def only_transaction(c: Reins) -> Dict[str, Any]:
    txs = c.list_transactions(limit=10)["transactions"]
    assert len(txs) == 1, txs
    return txs[0]  # type: ignore[no-any-return]


class GuardDecoratorTest(unittest.TestCase):
    def test_reserves_before_the_call_and_settles_from_its_usage(self) -> None:
        c = client(agent_id="support-bot")
        seen: List[Dict[str, Any]] = []

        @c.guard("openai", team_id="support", metadata={"ticket": "T-1"})
        def create(**params: Any) -> Any:
            # The provider is called with the reservation already held.
            seen.append(only_transaction(c))
            return fakes.openai_chat(prompt=120, completion=30)

        res = create(model="gpt-4o", messages=[{"role": "user", "content": "x" * 400}], max_tokens=200)
        self.assertEqual(res.usage.prompt_tokens, 120)
        held = seen[0]
        self.assertEqual((held["status"], held["phase"]), ("reserved", "reserve"))
        # 400 characters ≈ 100 tokens, +4 for the message; the output bound is max_tokens.
        self.assertEqual((held["tokensIn"], held["tokensOut"]), (104, 200))
        self.assertEqual((held["agentId"], held["teamId"]), ("support-bot", "support"))
        self.assertEqual(held["metadata"], {"source": "reins-sdk-python", "ticket": "T-1"})
        tx = c.get_transaction(held["id"])["transaction"]
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 120, 30))
        self.assertLess(tx["amountMicros"], held["amountMicros"])

    def test_a_block_raises_and_the_provider_is_never_called(self) -> None:
        c = client()
        rule = c.create_rule(
            {"name": "No GPT-4", "conditions": {"models": ["gpt-4"]}, "action": "block",
             "actionConfig": {"message": "GPT-4 is not allowed"}}
        )
        calls: List[Any] = []

        @c.guard("openai")
        def create(**params: Any) -> Any:
            calls.append(params)
            return fakes.openai_chat(1, 1)

        with self.assertRaises(ReinsBlocked) as ctx:
            create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
        self.assertEqual(calls, [])
        e = ctx.exception
        self.assertEqual((e.code, e.message), ("REINS_BLOCKED", "GPT-4 is not allowed"))
        self.assertEqual(e.policy_result["ruleId"], rule["id"])
        self.assertEqual(e.transaction_id, only_transaction(c)["id"])
        self.assertEqual(only_transaction(c)["action"], "block")
        self.assertEqual(c.stats()["blocked"], 1)

    def test_an_error_voids_the_reservation(self) -> None:
        c = client()

        @c.guard("anthropic")
        def create(**params: Any) -> Any:
            raise ConnectionError("provider down")

        with self.assertRaises(ConnectionError):
            create(model="claude-3-5-sonnet-latest", max_tokens=64, messages=[{"role": "user", "content": "hi"}])
        self.assertEqual(only_transaction(c)["status"], "voided")

    def test_an_openai_chat_stream_settles_when_it_ends_and_hides_the_usage_chunk(self) -> None:
        c = client()
        sent: List[Dict[str, Any]] = []

        @c.guard("openai")
        def create(**params: Any) -> Any:
            sent.append(params)
            return fakes.openai_chat_stream(["Hel", "lo"], {"prompt": 42, "completion": 7})

        stream = create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
        self.assertEqual(sent[0]["stream_options"], {"include_usage": True})
        self.assertEqual(only_transaction(c)["status"], "reserved")
        chunks = list(stream)
        self.assertEqual([ch.choices[0].delta.content for ch in chunks], ["Hel", "lo"])
        self.assertEqual(stream.response.status_code, 200)  # the stream's own attributes
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 42, 7))

    def test_an_abandoned_stream_is_settled_for_the_text_it_delivered(self) -> None:
        c = client()
        guarded = c.guard("openai")(
            lambda **p: fakes.openai_chat_stream(["x" * 40, "y" * 40, "z" * 40], None)
        )
        stream = guarded(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
        next(stream)
        stream.close()
        tx = only_transaction(c)
        # 40 characters ≈ 10 tokens received; the prompt as estimated (2 chars + 4).
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 5, 10))

    def test_an_anthropic_stream_counts_cache_reads_in_the_input(self) -> None:
        c = client()
        guarded = c.guard("anthropic")(lambda **p: fakes.anthropic_stream(50, ["Hi", " there"], 25, cache_read=10))
        events = list(guarded(model="claude-3-5-sonnet-latest", max_tokens=100, stream=True,
                              messages=[{"role": "user", "content": "hi"}]))
        self.assertEqual(events[0].type, "message_start")
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 60, 25))

    def test_the_responses_api_and_its_stream(self) -> None:
        c = client()
        create = c.guard("openai")(lambda **p: fakes.openai_response(300, 80))
        create(model="gpt-4o", input="Summarize this", max_output_tokens=500)
        streamed = c.guard("openai")(lambda **p: fakes.responses_stream(["a", "b"], 310, 90))
        list(streamed(model="gpt-4o", input="Again", stream=True))
        txs = sorted(c.list_transactions()["transactions"], key=lambda t: t["tokensIn"])
        self.assertEqual([(t["tokensIn"], t["tokensOut"], t["status"]) for t in txs],
                         [(300, 80, "settled"), (310, 90, "settled")])

    def test_the_vendors_rate_limit_blocks_like_a_rule(self) -> None:
        c = client()
        c.update_vendor("openai", {"rateLimitRpm": 1})
        create = c.guard("openai")(lambda **p: fakes.openai_chat(10, 5))
        create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        with self.assertRaises(ReinsBlocked) as ctx:
            create(model="gpt-4o", messages=[{"role": "user", "content": "again"}])
        self.assertEqual(ctx.exception.details["vendor"], "openai")
        self.assertGreater(ctx.exception.details["retryAfter"], 0)
        self.assertEqual(c.stats()["blocked"], 1)

    def test_a_model_without_a_price_is_reserved_and_settled_at_zero(self) -> None:
        c = client()
        create = c.guard("openai")(lambda **p: fakes.openai_chat(10, 5))
        create(model="my-own-finetune", messages=[{"role": "user", "content": "hi"}])
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["amount"], tx["tokensIn"]), ("settled", 0, 10))


class GuardContextManagerTest(unittest.TestCase):
    def test_record_settles_from_the_response(self) -> None:
        c = client()
        with c.guard("anthropic", "claude-3-5-sonnet-latest", tokens_in=500, max_tokens=100) as call:
            held = c.get_transaction(call.reservation["id"])["transaction"]
            self.assertEqual((held["status"], held["tokensIn"], held["tokensOut"]), ("reserved", 500, 100))
            msg = call.record(fakes.anthropic_message(400, 60, cache_write=100))
        self.assertEqual(msg.id, "msg_1")
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 500, 60))

    def test_without_a_response_the_estimate_is_settled(self) -> None:
        c = client()
        with c.guard("openai", "gpt-4o", tokens_in=10, max_tokens=20):
            pass
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 10, 20))

    def test_an_exception_voids_and_propagates(self) -> None:
        c = client()
        with self.assertRaises(KeyError):
            with c.guard("openai", "gpt-4o", max_tokens=20):
                raise KeyError("boom")
        self.assertEqual(only_transaction(c)["status"], "voided")

    def test_a_recorded_stream_settles_when_consumed_not_when_the_block_ends(self) -> None:
        c = client()
        with c.guard("openai", "gpt-4o", max_tokens=50) as call:
            stream = call.record(fakes.openai_chat_stream(["a"], {"prompt": 9, "completion": 3}))
        self.assertEqual(only_transaction(c)["status"], "reserved")
        list(stream)
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 9, 3))

    def test_a_block_raises_on_entry(self) -> None:
        c = client()
        c.create_rule({"name": "No Anthropic", "conditions": {"vendors": ["anthropic"]}, "action": "block"})
        entered = False
        with self.assertRaises(ReinsBlocked):
            with c.guard("anthropic", "claude-3-5-sonnet-latest"):
                entered = True
        self.assertFalse(entered)


class GuardFailOpenTest(unittest.TestCase):
    def test_calls_go_through_while_reins_is_down_and_are_recorded_after(self) -> None:
        c = client(retry_interval=60)
        create = c.guard("openai")(lambda **p: fakes.openai_chat(70, 20))
        with reins_down():
            res = create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
            self.assertEqual(res.usage.completion_tokens, 20)
            self.assertEqual(c.stats()["pending"], 1)
        c.flush()
        tx = only_transaction(c)
        self.assertEqual((tx["phase"], tx["tokensIn"], tx["tokensOut"]), ("observed", 70, 20))
        self.assertEqual(tx["metadata"]["source"], "reins-sdk-python")

    def test_strict_refuses_the_call(self) -> None:
        c = Reins(server().new_org(), server().url, strict=True)
        calls: List[Any] = []
        create = c.guard("openai")(lambda **p: calls.append(p))
        with reins_down():
            with self.assertRaises(Exception) as ctx:
                create(model="gpt-4o", messages=[])
        self.assertEqual(getattr(ctx.exception, "code", None), "NETWORK_ERROR")
        self.assertEqual(calls, [])


if __name__ == "__main__":
    unittest.main()
