"""``guard()`` on async clients (``AsyncOpenAI``, ``AsyncAnthropic``): coroutine functions and
``async with``, against the real server."""

import asyncio
import unittest
from typing import Any, Dict, List

from tests import fakes
from tests.harness import client
from tests.test_guard import only_transaction

from reins import AsyncGuardedStream, ReinsBlocked


class AsyncGuardTest(unittest.TestCase):
    def test_a_coroutine_is_reserved_then_settled_from_its_usage(self) -> None:
        c = client()
        seen: List[Dict[str, Any]] = []

        @c.guard("openai")
        async def create(**params: Any) -> Any:
            seen.append(only_transaction(c))
            await asyncio.sleep(0)
            return fakes.openai_chat(prompt=80, completion=12)

        res = asyncio.run(create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=64))
        self.assertEqual(res.usage.completion_tokens, 12)
        self.assertEqual((seen[0]["status"], seen[0]["tokensOut"]), ("reserved", 64))
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 80, 12))

    def test_an_async_stream_settles_when_it_ends(self) -> None:
        c = client()

        @c.guard("anthropic")
        async def create(**params: Any) -> Any:
            return fakes.AsyncStream(list(fakes.anthropic_stream(40, ["a", "b"], 9)._events))

        async def consume() -> List[Any]:
            stream = await create(model="claude-3-5-sonnet-latest", max_tokens=32, stream=True,
                                  messages=[{"role": "user", "content": "hi"}])
            self.assertIsInstance(stream, AsyncGuardedStream)
            self.assertEqual(only_transaction(c)["status"], "reserved")
            return [e async for e in stream]

        events = asyncio.run(consume())
        self.assertEqual(events[-1].type, "message_stop")
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 40, 9))

    def test_a_block_raises_and_an_error_voids(self) -> None:
        c = client()
        c.create_rule({"name": "No GPT-4", "conditions": {"models": ["gpt-4"]}, "action": "block"})
        calls: List[Any] = []

        @c.guard("openai")
        async def create(**params: Any) -> Any:
            calls.append(params)
            raise TimeoutError("provider timed out")

        with self.assertRaises(ReinsBlocked):
            asyncio.run(create(model="gpt-4", messages=[]))
        self.assertEqual(calls, [])
        with self.assertRaises(TimeoutError):
            asyncio.run(create(model="gpt-4o", messages=[]))
        statuses = sorted(t["status"] for t in c.list_transactions()["transactions"])
        self.assertEqual(len(calls), 1)
        self.assertIn("voided", statuses)

    def test_async_with_records_the_response(self) -> None:
        c = client()

        async def run() -> None:
            async with c.guard("anthropic", "claude-3-5-sonnet-latest", max_tokens=100) as call:
                self.assertEqual(only_transaction(c)["status"], "reserved")
                call.record(fakes.anthropic_message(300, 50))

        asyncio.run(run())
        tx = only_transaction(c)
        self.assertEqual((tx["status"], tx["tokensIn"], tx["tokensOut"]), ("settled", 300, 50))


if __name__ == "__main__":
    unittest.main()
