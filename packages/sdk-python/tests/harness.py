"""The real Reins server the tests talk to: ``test/server.ts`` (the server's in-process test
harness on a fresh database, PostgreSQL when ``TEST_DATABASE_URL`` is set) started once per test
run, driven over its stdin/stdout: new organizations, the engine's golden vectors, the server's
clock, the notify job, and a real outage (the server stops listening, then listens again)."""

import atexit
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from typing import Any, Dict, Optional

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_DIR = os.path.join(PACKAGE_DIR, "src")
if SRC_DIR not in sys.path:
    sys.path.insert(0, SRC_DIR)

START_TIMEOUT = 240.0

# Fail-open warnings are expected here (tests that want them use assertLogs).
logging.getLogger("reins").addHandler(logging.NullHandler())


class ReinsServer:
    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile(mode="w+b")
        self._proc = subprocess.Popen(
            ["node", "--import", "tsx", "test/server.ts"],
            cwd=PACKAGE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._next = 0
        self._lock = threading.Lock()
        ready = self._read(START_TIMEOUT)
        if not ready.get("ready"):
            raise RuntimeError("the Reins test server did not start:\n" + self.output())
        self.url: str = ready["url"]
        self.admin_key: str = ready["adminKey"]

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-5000:]

    def _read(self, timeout: float) -> Dict[str, Any]:
        result: Dict[str, Any] = {}

        def read() -> None:
            assert self._proc.stdout is not None
            while True:
                line = self._proc.stdout.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").strip()
                if text.startswith("{"):
                    try:
                        result.update(json.loads(text))
                        return
                    except ValueError:
                        pass

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        if not result:
            raise RuntimeError("no answer from the Reins test server:\n" + self.output())
        return result

    def call(self, op: str, timeout: float = 120.0, **args: Any) -> Any:
        with self._lock:
            self._next += 1
            req = dict(args, id=self._next, op=op)
            assert self._proc.stdin is not None
            self._proc.stdin.write((json.dumps(req) + "\n").encode("utf-8"))
            self._proc.stdin.flush()
            res = self._read(timeout)
        if res.get("id") != req["id"]:
            raise RuntimeError("out of order answer from the test server: %r" % (res,))
        if not res.get("ok"):
            raise RuntimeError("test server %s failed: %s" % (op, res.get("error")))
        return res.get("result")

    def new_org(self, name: str = "Python SDK") -> str:
        """A new organization; returns its admin key."""
        return str(self.call("newOrg", name=name)["key"])

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._log.close()


_server: Optional[ReinsServer] = None


def server() -> ReinsServer:
    """The one server of this test run, started on first use, stopped at exit."""
    global _server
    if _server is None:
        _server = ReinsServer()
        atexit.register(_server.close)
    return _server


def client(**options: Any) -> Any:
    """A ``Reins`` client with the admin key of a new organization."""
    from reins import Reins

    s = server()
    return Reins(s.new_org(), s.url, **options)
