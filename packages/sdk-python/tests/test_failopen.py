"""Fail-open: with the Reins server stopped (connections refused), slow or failing, admission calls
are let through and what they recorded is replayed as ``observed`` transactions once Reins is
back, each exactly once; ``strict=True`` raises instead."""

import http.server
import socket
import threading
import time
import unittest
from typing import Any, Iterator, List

import contextlib

from tests.harness import client, server

from reins import Reins, ReinsError
from reins._queue import TX_PATH, Outgoing


@contextlib.contextmanager
def reins_down() -> Iterator[None]:
    """The real server stops listening for the block's duration."""
    server().call("down")
    try:
        yield
    finally:
        server().call("up")


def transactions(c: Reins) -> List[Any]:
    return list(reversed(c.list_transactions(limit=500)["transactions"]))


class FailOpenTest(unittest.TestCase):
    def test_submissions_fail_open_and_are_replayed_as_observed_after_the_outage(self) -> None:
        c = client(retry_interval=60)
        with reins_down():
            with self.assertLogs("reins", "WARNING") as logs:
                res = c.submit_transaction(
                    {"amount": 123, "vendor": "openai", "agentId": "offline"},
                    idempotency_key="k-1",
                )
            self.assertIn("goes through unchecked", logs.output[0])
            self.assertTrue(res["success"])
            self.assertTrue(res["failedOpen"])
            self.assertEqual(res["action"], "pass")
            self.assertIsNone(res["id"])
            self.assertEqual((res["error"]["code"], res["error"]["status"]), ("NETWORK_ERROR", 0))
            bulk = c.submit_bulk(
                [{"amount": 5, "vendor": "anthropic"}, {"amount": 6, "vendor": "anthropic"}],
                idempotency_key="b-1",
            )
            self.assertEqual([r["failedOpen"] for r in bulk["results"]], [True, True])
            # Still down: a flush keeps everything queued.
            self.assertEqual(c.flush()["pending"], 3)
        stats = c.flush()
        self.assertEqual((stats["pending"], stats["sent"], stats["failedOpen"]), (0, 3, 2))
        recorded = {t["metadata"]["requestId"]: t for t in transactions(c)}
        self.assertEqual(
            {k: t["amount"] for k, t in recorded.items()}, {"k-1": 123, "b-1#0": 5, "b-1#1": 6}
        )
        self.assertEqual({t["phase"] for t in recorded.values()}, {"observed"})
        self.assertEqual(recorded["k-1"]["agentId"], "offline")

    def test_a_record_delivered_twice_is_recorded_once(self) -> None:
        c = client(retry_interval=60)
        with reins_down():
            c.submit_transaction({"amount": 77, "vendor": "openai"}, idempotency_key="twice")
            queued = c._queue._items[0]
        c.flush()
        # Its answer lost, the same record is sent again: Reins answers the first response.
        c._queue.push(Outgoing(TX_PATH, queued.body, queued.key))
        stats = c.flush()
        self.assertEqual((stats["sent"], stats["rejected"]), (2, 0))
        self.assertEqual([t["amount"] for t in transactions(c)], [77])

    def test_the_background_thread_replays_without_a_flush(self) -> None:
        c = client(retry_interval=0.1)
        with reins_down():
            c.submit_transaction({"amount": 31, "vendor": "openai"})
            time.sleep(0.3)  # a few failed attempts meanwhile
        deadline = time.time() + 20
        while c.stats()["pending"] and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(c.stats()["pending"], 0)
        self.assertEqual([t["amount"] for t in transactions(c)], [31])
        c.close()
        with self.assertRaises(RuntimeError):
            c._queue.push(Outgoing(TX_PATH, {}, "closed"))

    def test_strict_raises_instead(self) -> None:
        c = client(strict=True)
        with reins_down():
            with self.assertRaises(ReinsError) as ctx:
                c.submit_transaction({"amount": 1, "vendor": "openai"})
            self.assertEqual((ctx.exception.status, ctx.exception.code), (0, "NETWORK_ERROR"))
            self.assertTrue(ctx.exception.unavailable)
            with self.assertRaises(ReinsError):
                c.reserve({"amount": 1, "vendor": "openai"})
        self.assertEqual(c.stats()["pending"], 0)
        self.assertEqual(transactions(c), [])

    def test_the_queue_is_bounded_and_drops_the_oldest(self) -> None:
        c = client(max_queue_size=2, retry_interval=60)
        with reins_down():
            for amount in (1, 2, 3):
                c.submit_transaction({"amount": amount, "vendor": "openai"})
        stats = c.flush()
        self.assertEqual((stats["dropped"], stats["sent"]), (1, 2))
        # The two newest were kept (recorded in the same millisecond, their order is the ids').
        self.assertEqual(sorted(t["amount"] for t in transactions(c)), [2, 3])

    def test_a_failed_open_reservation_is_settled_as_an_observed_transaction(self) -> None:
        c = client(retry_interval=60)
        with reins_down():
            held = c.reserve(
                {"vendor": "openai", "model": "gpt-4o", "tokensIn": 100, "tokensOut": 500}
            )
            self.assertTrue(held["failedOpen"])
            self.assertEqual(c.stats()["pending"], 0)
            queued = c.settle(held, {"tokensIn": 1200, "tokensOut": 300})
            self.assertTrue(queued["queued"])
            self.assertEqual(c.void(held)["queued"], False)
        c.flush()
        [tx] = transactions(c)
        self.assertEqual((tx["phase"], tx["tokensIn"], tx["tokensOut"]), ("observed", 1200, 300))
        # Costed by the server from its price table.
        self.assertGreater(tx["amountMicros"], 0)

    def test_a_settle_reins_misses_is_queued_and_applied_once(self) -> None:
        c = client(retry_interval=60)
        held = c.reserve({"amount": 300, "vendor": "openai"})
        with reins_down():
            self.assertTrue(c.settle(held["id"], {"amount": 250})["queued"])
        c.flush()
        tx = c.get_transaction(held["id"])["transaction"]
        self.assertEqual((tx["status"], tx["amount"]), ("settled", 250))
        strict = Reins(c._http.api_key, server().url, strict=True)
        other = strict.reserve({"amount": 10, "vendor": "openai"})
        with reins_down():
            with self.assertRaises(ReinsError):
                strict.void(other["id"])


class _Hang(threading.Thread):
    """A listener that accepts and never answers: Reins too slow."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.conns: List[socket.socket] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() on Linux
        except OSError:
            pass
        self.sock.close()
        self.join(5)
        for conn in self.conns:
            conn.close()


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b'{"success":false,"code":"SERVICE_UNAVAILABLE","message":"database unavailable"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class SlowOrFailingTest(unittest.TestCase):
    """What the real server does not do on demand: hang, or answer 5xx."""

    def test_a_timeout_fails_open_and_strict_raises_timeout(self) -> None:
        hang = _Hang()
        hang.start()
        try:
            c = Reins("rk_test_any", hang.url, timeout=0.3, retry_interval=60)
            started = time.monotonic()
            res = c.submit_transaction({"amount": 1, "vendor": "openai"})
            self.assertLess(time.monotonic() - started, 3)
            self.assertEqual(res["error"]["code"], "TIMEOUT")
            self.assertEqual(c.stats()["pending"], 1)
            strict = Reins("rk_test_any", hang.url, timeout=0.3, strict=True)
            with self.assertRaises(ReinsError) as ctx:
                strict.submit_transaction({"amount": 1, "vendor": "openai"})
            self.assertEqual((ctx.exception.code, ctx.exception.status), ("TIMEOUT", 0))
        finally:
            hang.close()

    def test_a_5xx_fails_open(self) -> None:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            url = "http://127.0.0.1:%d" % srv.server_address[1]
            c = Reins("rk_test_any", url, retry_interval=60)
            res = c.submit_transaction({"amount": 1, "vendor": "openai"})
            self.assertEqual(
                (res["failedOpen"], res["error"]["status"], res["error"]["code"]),
                (True, 503, "SERVICE_UNAVAILABLE"),
            )
            with self.assertRaises(ReinsError) as ctx:
                Reins("rk_test_any", url, strict=True).submit_transaction(
                    {"amount": 1, "vendor": "openai"}
                )
            self.assertEqual(ctx.exception.status, 503)
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == "__main__":
    unittest.main()


class ExitTest(unittest.TestCase):
    def test_what_is_still_queued_is_sent_when_the_process_exits(self) -> None:
        import os
        import subprocess
        import sys

        from tests.harness import SRC_DIR

        key = server().new_org("exit")
        script = (
            "import sys\n"
            "from reins import Reins\n"
            "c = Reins(sys.argv[1], sys.argv[2], retry_interval=600)\n"
            "res = c.submit_transaction({'amount': 55, 'vendor': 'openai'})\n"
            "print(res['failedOpen'], c.stats()['pending'], flush=True)\n"
            "sys.stdin.readline()\n"  # Reins is back; exit without flush() or close()
        )
        with reins_down():
            child = subprocess.Popen(
                [sys.executable, "-c", script, key, server().url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=dict(os.environ, PYTHONPATH=SRC_DIR),
            )
            assert child.stdout is not None and child.stdin is not None
            self.assertEqual(child.stdout.readline().split(), ["True", "1"])
        child.stdin.write("\n")
        child.stdin.close()
        self.assertEqual(child.wait(60), 0)
        child.stdout.close()
        c = Reins(key, server().url)
        self.assertEqual([(t["amount"], t["phase"]) for t in transactions(c)], [(55, "observed")])
