"""Records the SDK could not deliver while Reins was down or slow: kept in memory, bounded, sent
later in order by a background thread. When full, the oldest are dropped and counted, so memory
stays bounded through any outage (the TypeScript SDK's queue, in Python)."""

import atexit
import collections
import logging
import threading
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional

from ._errors import ReinsError
from ._http import Transport

TX_PATH = "/api/v1/transactions"
BULK_MAX = 500
MAX_RETRY = 60.0
#: Replays are off the call path: they may take longer than a pre-check.
BACKGROUND_TIMEOUT = 10.0


class Outgoing:
    """A POST to send later: a transaction (sent in bulk, keyed by ``metadata.requestId``), or a
    settle / void of a reservation (keyed by its ``Idempotency-Key``)."""

    __slots__ = ("path", "body", "key")

    def __init__(self, path: str, body: Dict[str, Any], key: str) -> None:
        self.path = path
        self.body = body
        self.key = key


class ReplayQueue:
    def __init__(
        self,
        transport: Transport,
        capacity: int,
        retry_interval: float,
        logger: logging.Logger,
        timeout: float,
    ) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError("max_queue_size must be a positive integer, got %r" % (capacity,))
        self._transport = transport
        self._capacity = capacity
        self._items: Deque[Outgoing] = collections.deque()
        self._lock = threading.Lock()
        # One delivery at a time, in order (the background thread or a flush()).
        self._delivering = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self._first_retry = retry_interval
        self._retry = retry_interval
        self._log = logger
        self._timeout = max(timeout, BACKGROUND_TIMEOUT)
        self.sent = 0
        self.dropped = 0
        self.rejected = 0

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._items)

    def push(self, item: Outgoing) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("this Reins client is closed")
            if len(self._items) >= self._capacity:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="reins-replay", daemon=True
                )
                self._thread.start()
                # On a normal exit, one last attempt to deliver what is still queued.
                atexit.register(_deliver_at_exit, weakref.ref(self))
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            if self.deliver():
                self._retry = self._first_retry
                continue
            # Reins still down: wait (doubling, up to a minute) unless woken by flush/close.
            delay = self._retry
            self._retry = min(self._retry * 2, MAX_RETRY)
            if self._wake.wait(delay):
                if self._closed:
                    return
            self._wake.set()

    def deliver(self) -> bool:
        """Sends the queue in order until it is empty (True) or Reins stops answering (False)."""
        with self._delivering:
            while True:
                with self._lock:
                    if not self._items:
                        return True
                    first = self._items[0]
                    if first.path == TX_PATH:
                        batch: List[Outgoing] = []
                        for item in self._items:
                            if item.path != TX_PATH or len(batch) >= BULK_MAX:
                                break
                            batch.append(item)
                    else:
                        batch = [first]
                ok = self._post_bulk(batch) if first.path == TX_PATH else self._post(first)
                if not ok:
                    return False
                with self._lock:
                    for item in batch:
                        # Dropped meanwhile (queue full) items are no longer at the front.
                        if self._items and self._items[0] is item:
                            self._items.popleft()

    def _post(self, item: Outgoing) -> bool:
        try:
            self._transport.ok(
                "POST", item.path, item.body, idempotency_key=item.key, timeout=self._timeout
            )
            self.sent += 1
            return True
        except ReinsError as e:
            if e.unavailable or e.code == "RATE_LIMITED":
                return False
            self.rejected += 1
            self._log.warning("Reins refused %s (%s: %s); not retried", item.path, e.code, e)
            return True

    def _post_bulk(self, batch: List[Outgoing]) -> bool:
        try:
            res = self._transport.request(
                "POST",
                TX_PATH + "/bulk",
                {"transactions": [b.body for b in batch]},
                timeout=self._timeout,
            )
        except ReinsError:
            return False
        if res.status >= 500 or res.status == 429:
            return False
        results = res.body.get("results") if isinstance(res.body, dict) else None
        if res.status != 200 or not isinstance(results, list):
            self.rejected += len(batch)
            self._log.warning(
                "Reins refused %d recorded calls (%d); not retried", len(batch), res.status
            )
            return True
        for r in results:
            if isinstance(r, dict) and r.get("success"):
                self.sent += 1
            else:
                self.rejected += 1
                self._log.warning(
                    "Reins refused a recorded call (%s: %s); not retried",
                    r.get("code") if isinstance(r, dict) else "?",
                    r.get("message") if isinstance(r, dict) else "",
                )
        return True

    def close(self, flush: Callable[[], Any]) -> None:
        flush()
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=5)


def _deliver_at_exit(ref: "weakref.ReferenceType[ReplayQueue]") -> None:
    queue = ref()
    if queue is not None and not queue._closed and queue.pending:
        queue.deliver()
