"""``verify_webhook`` on a real delivery: a ``notify`` rule fires, the worker's notify job (run by
the test server) posts to a local receiver, and the receiver verifies what it got."""

import http.server
import json
import threading
import unittest
from typing import Any, Dict, List

from tests.harness import client, server

from reins import sign_webhook, verify_webhook


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: List[Dict[str, Any]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append({"headers": self.headers, "body": raw})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class VerifyWebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.url = "http://127.0.0.1:%d/reins" % cls.srv.server_address[1]

    @classmethod
    def tearDownClass(cls) -> None:
        cls.srv.shutdown()
        cls.srv.server_close()

    def test_a_real_delivery_verifies_and_a_tampered_or_stale_one_does_not(self) -> None:
        c = client()
        channel = c.create_channel({"name": "Receiver", "type": "webhook", "url": self.url})["channel"]
        secret = channel["secret"]
        c.create_rule(
            {
                "name": "Notify on any spend",
                "conditions": {"amountCents": {"min": 1}},
                "action": "notify",
                "actionConfig": {"message": "Spend seen", "channels": [channel["id"]]},
            }
        )
        tx = c.submit_transaction({"amount": 5, "vendor": "openai"})
        self.assertEqual(tx["action"], "notify")
        server().call("notify")
        self.assertEqual(len(_Receiver.received), 1)
        got = _Receiver.received[0]
        headers, body = got["headers"], got["body"]
        event = json.loads(body)
        self.assertEqual(event["alert"]["transactionId"], tx["id"])
        self.assertEqual(headers["X-Reins-Delivery"], event["id"])

        # As received: the raw bytes, the http.server headers object.
        self.assertTrue(verify_webhook(body, headers, secret))
        self.assertTrue(verify_webhook(body.decode("utf-8"), dict(headers.items()), secret))
        # A plain dict in lower case, and a WSGI environ.
        lower = {k.lower(): v for k, v in headers.items()}
        self.assertTrue(verify_webhook(body, lower, secret))
        environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        self.assertTrue(verify_webhook(body, environ, secret))

        self.assertFalse(verify_webhook(body.replace(b"Spend seen", b"Spend SEEN"), headers, secret))
        self.assertFalse(verify_webhook(json.dumps(event).encode(), headers, secret))  # re-serialized
        self.assertFalse(verify_webhook(body, headers, secret + "x"))

        # The replay window: five minutes either way of the receiver's clock.
        ts = int(headers["X-Reins-Timestamp"])
        self.assertTrue(verify_webhook(body, headers, secret, now=ts + 299))
        self.assertFalse(verify_webhook(body, headers, secret, now=ts + 301))
        self.assertFalse(verify_webhook(body, headers, secret, now=ts - 301))
        self.assertTrue(verify_webhook(body, headers, secret, now=ts + 500, tolerance_seconds=600))

        # Rotating secrets: any of several signatures; none or a malformed timestamp fails.
        rotated = dict(lower, **{"x-reins-signature": "v1=" + "0" * 64 + ", " + lower["x-reins-signature"]})
        self.assertTrue(verify_webhook(body, rotated, secret))
        self.assertFalse(verify_webhook(body, {"x-reins-timestamp": str(ts)}, secret))
        bad_ts = dict(lower, **{"x-reins-timestamp": "12a"})
        self.assertFalse(verify_webhook(body, bad_ts, secret))
        # What the worker signs is what sign_webhook computes.
        self.assertEqual(sign_webhook(secret, ts, body), headers["X-Reins-Signature"])


if __name__ == "__main__":
    unittest.main()
