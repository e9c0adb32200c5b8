"""``guard()``: a provider call governed by Reins. Before the call, the estimate is reserved
(``phase: "reserve"``); a block raises ``ReinsBlocked`` and the provider is never called; after
it, the reservation is settled from the response's usage (OpenAI chat / responses, Anthropic
messages, their streams included, duck-typed); an exception voids it.

As a decorator (of a function or a coroutine function), the estimate comes from the call's own
keyword arguments (``model``,
``messages``, ``max_tokens`` ...), so ``reins.guard("openai")(client.chat.completions.create)``
is a governed ``create``. As a context manager, give the model (and optionally ``tokens_in``,
``max_tokens`` or ``amount``) and pass the response to ``call.record(response)``; ``async with``
reserves on entry and settles or voids on exit in a worker thread, off the event loop."""

import asyncio
import functools
import inspect
import logging
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
)

from ._errors import ReinsBlocked, ReinsError
from ._queue import Outgoing
from ._usage import DEFAULT_MAX_OUTPUT_TOKENS, StreamUsage, Usage, estimate_request, field, usage_of

if TYPE_CHECKING:
    from ._client import Reins

F = TypeVar("F", bound=Callable[..., Any])
_log = logging.getLogger("reins")


def _is_stream(obj: Any) -> bool:
    """A provider stream: an iterator of events (``openai.Stream``, ``anthropic.Stream``, a
    generator), not a response object (pydantic models are iterable over their fields)."""
    if obj is None or isinstance(obj, (dict, list, tuple, str, bytes)):
        return False
    if field(obj, "usage") is not None:
        return False
    return hasattr(obj, "__next__") or (hasattr(obj, "__iter__") and not hasattr(obj, "model_dump"))


def _is_async_stream(obj: Any) -> bool:
    """An async provider stream (``openai.AsyncStream``, ``anthropic.AsyncStream``)."""
    return hasattr(obj, "__aiter__") and field(obj, "usage") is None


def _unpriced(e: ReinsError) -> bool:
    """A 422 saying the amount is needed because the price table has no price for the model."""
    return e.code == "VALIDATION_ERROR" and e.field == "amount" and "price table" in e.message


class GuardedCall:
    """One governed call: its reservation (``reservation``), then ``record(response)``."""

    def __init__(self, guard: "Guard", params: Mapping[str, Any]) -> None:
        self._guard = guard
        self._client = guard.client
        # Not given: a request with a system prompt and max_tokens beside its messages is
        # Anthropic's shape; anything else is read as OpenAI's.
        anthropic_shaped = all(k in params for k in ("system", "messages", "max_tokens"))
        vendor = guard.vendor or ("anthropic" if anthropic_shaped else "openai")
        self.vendor = vendor
        model, est_in, est_out = estimate_request(vendor, params, DEFAULT_MAX_OUTPUT_TOKENS)
        self.model = guard.model or model
        self.tokens_in = guard.tokens_in if guard.tokens_in is not None else est_in
        self.tokens_out = guard.max_tokens if guard.max_tokens is not None else est_out
        if not self.model and guard.amount is None:
            raise ValueError("guard() needs the model (or an amount) to reserve")
        self.priced = True
        self.settled = False
        self.streaming = False
        self.reservation: Dict[str, Any] = {}

    def _body(self) -> Dict[str, Any]:
        g = self._guard
        body: Dict[str, Any] = {"vendor": self.vendor}
        if self.model:
            body["model"] = self.model
        body.update(g.context)
        body["tokensIn"] = self.tokens_in
        body["tokensOut"] = self.tokens_out
        if g.amount is not None:
            body["amount"] = g.amount
        body["metadata"] = dict(g.metadata)
        if g.reservation_ttl_seconds:
            body["reservationTtlSeconds"] = g.reservation_ttl_seconds
        return body

    def begin(self) -> None:
        """Reserves the estimate; raises ``ReinsBlocked`` on a block."""
        client = self._client
        body = self._body()
        try:
            try:
                res = client.reserve(body)
            except ReinsError as e:
                if not _unpriced(e):
                    raise
                # A model the price table does not know: reserved at $0, so that rules on the
                # model (unknownModel, vendor limits) still see the call.
                self.priced = False
                body["amount"] = 0
                res = client.reserve(body)
        except ReinsError as e:
            vendor = e.body.get("vendor") if isinstance(e.body, dict) else None
            if e.status == 429 and isinstance(vendor, str):
                client.blocked += 1
                raise ReinsBlocked(
                    {"action": "block", "ruleId": None, "ruleName": None, "message": e.message},
                    {"retryAfter": e.retry_after, "vendor": vendor},
                    None,
                ) from e
            raise
        if res.get("action") == "block":
            client.blocked += 1
            raise ReinsBlocked(res.get("policyResult") or {}, res.get("details"), res.get("id"))
        self.reservation = res

    def record(self, response: Any) -> Any:
        """Settles from ``response``'s usage and returns it; a stream is returned wrapped, and
        settled when it ends, fails or is closed (for what it delivered)."""
        if _is_async_stream(response):
            self.streaming = True
            return AsyncGuardedStream(response, self)
        if _is_stream(response):
            self.streaming = True
            return GuardedStream(response, self)
        usage = usage_of(self.vendor, field(response, "usage"))
        self.settle(usage or self.estimated())
        return response

    def estimated(self) -> Usage:
        return {
            "tokensIn": self.tokens_in,
            "tokensOut": self.tokens_out,
            "cacheReadTokens": 0,
            "cacheWriteTokens": 0,
        }

    def settle(self, usage: Usage) -> None:
        if self.settled:
            return
        self.settled = True
        body: Dict[str, Any] = {"tokensIn": usage["tokensIn"], "tokensOut": usage["tokensOut"]}
        for k in ("cacheReadTokens", "cacheWriteTokens"):
            if usage.get(k):
                body[k] = usage[k]
        if not self.priced or (self._guard.amount is not None and not self.model):
            body["amount"] = 0 if not self.priced else self._guard.amount
        self._finish(lambda: self._client.settle(self.reservation, body))

    def void(self, error: BaseException) -> None:
        if self.settled:
            return
        self.settled = True
        reason = "provider call failed: %s" % (str(error) or type(error).__name__)
        self._finish(lambda: self._client.void(self.reservation, reason[:500]))

    def _finish(self, send: Callable[[], Any]) -> None:
        """A settle or void after the provider answered: it must not fail the caller's call."""
        try:
            send()
        except ReinsError as e:
            _log.warning("Reins: could not settle a guarded call (%s: %s)", e.code, e.message)


class GuardedStream:
    """The provider's stream, observed: iterate it as the original (other attributes pass
    through); the reservation is settled once, when it ends, fails or is closed."""

    def __init__(self, stream: Any, call: GuardedCall, hide_usage_chunk: bool = False) -> None:
        self._stream = stream
        self._call = call
        self._seen = StreamUsage(call.vendor, call.tokens_in)
        self._iter: Optional[Iterator[Any]] = None
        self._hide = hide_usage_chunk

    def __iter__(self) -> "GuardedStream":
        return self

    def __next__(self) -> Any:
        if self._iter is None:
            self._iter = iter(self._stream)
        while True:
            try:
                item = next(self._iter)
            except StopIteration:
                self._done()
                raise
            except BaseException:
                self._done()
                raise
            self._seen.see(item)
            if self._hide and field(item, "usage") is not None and not field(item, "choices"):
                continue
            return item

    def _done(self) -> None:
        self._call.settle(self._seen.usage())

    def close(self) -> None:
        try:
            closer = getattr(self._stream, "close", None)
            if callable(closer):
                closer()
        finally:
            self._done()

    def __enter__(self) -> "GuardedStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncGuardedStream:
    """An async provider stream, observed as ``GuardedStream`` observes a sync one."""

    def __init__(self, stream: Any, call: GuardedCall, hide_usage_chunk: bool = False) -> None:
        self._stream = stream
        self._call = call
        self._seen = StreamUsage(call.vendor, call.tokens_in)
        self._iter: Optional[AsyncIterator[Any]] = None
        self._hide = hide_usage_chunk

    def __aiter__(self) -> "AsyncGuardedStream":
        return self

    async def __anext__(self) -> Any:
        if self._iter is None:
            self._iter = self._stream.__aiter__()
        while True:
            try:
                item = await self._iter.__anext__()
            except BaseException:  # StopAsyncIteration included: ended, failed or cancelled
                await self._done()
                raise
            self._seen.see(item)
            if self._hide and field(item, "usage") is not None and not field(item, "choices"):
                continue
            return item

    async def _done(self) -> None:
        if not self._call.settled:
            await asyncio.get_running_loop().run_in_executor(
                None, self._call.settle, self._seen.usage()
            )

    async def close(self) -> None:
        try:
            closer = getattr(self._stream, "close", None)
            if callable(closer):
                result = closer()
                if inspect.isawaitable(result):
                    await result
        finally:
            await self._done()

    async def __aenter__(self) -> "AsyncGuardedStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Reins's own (blocking) requests, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class Guard:
    """What ``Reins.guard()`` returns: a context manager (``with ... as call``) and a decorator."""

    def __init__(
        self,
        client: "Reins",
        *,
        vendor: Optional[str],
        model: Optional[str],
        tokens_in: Optional[int],
        max_tokens: Optional[int],
        amount: Optional[int],
        context: Dict[str, Any],
        metadata: Dict[str, Any],
        reservation_ttl_seconds: Optional[int],
    ) -> None:
        if vendor is not None and vendor not in ("openai", "anthropic"):
            raise ValueError("guard() governs openai or anthropic calls, not %r" % vendor)
        self.client = client
        self.vendor = vendor
        self.model = model
        self.tokens_in = tokens_in
        self.max_tokens = max_tokens
        self.amount = amount
        self.context = context
        self.metadata = metadata
        self.reservation_ttl_seconds = reservation_ttl_seconds
        self._active: List[GuardedCall] = []

    def __enter__(self) -> GuardedCall:
        call = GuardedCall(self, {})
        call.begin()
        self._active.append(call)
        return call

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        call = self._active.pop()
        if exc is not None:
            call.void(exc)
        elif not call.settled and not call.streaming:
            # No response recorded: what was reserved is what is owed.
            call.settle(call.estimated())

    async def __aenter__(self) -> GuardedCall:
        call = GuardedCall(self, {})
        await _in_thread(call.begin)
        self._active.append(call)
        return call

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        call = self._active.pop()
        if exc is not None:
            await _in_thread(call.void, exc)
        elif not call.settled and not call.streaming:
            await _in_thread(call.settle, call.estimated())

    def _prepare(self, kwargs: Dict[str, Any]) -> Tuple[GuardedCall, Dict[str, Any], bool]:
        call = GuardedCall(self, kwargs)
        hide = False
        if call.vendor == "openai" and kwargs.get("stream") is True and "messages" in kwargs:
            so = kwargs.get("stream_options") or {}
            if not (isinstance(so, Mapping) and so.get("include_usage") is True):
                # Usage in a chat stream comes only when asked for; the chunk that carries it
                # is hidden from a caller who did not ask.
                kwargs = dict(kwargs)
                kwargs["stream_options"] = dict(so, include_usage=True)
                hide = True
        return call, kwargs, hide

    def __call__(self, fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def governed_async(*args: Any, **kwargs: Any) -> Any:
                call, kwargs, hide = self._prepare(kwargs)
                await _in_thread(call.begin)
                try:
                    response = await fn(*args, **kwargs)
                except BaseException as e:
                    await _in_thread(call.void, e)
                    raise
                if _is_async_stream(response):
                    call.streaming = True
                    return AsyncGuardedStream(response, call, hide)
                return await _in_thread(call.record, response)

            return governed_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def governed(*args: Any, **kwargs: Any) -> Any:
            call, kwargs, hide = self._prepare(kwargs)
            call.begin()
            try:
                response = fn(*args, **kwargs)
            except BaseException as e:
                call.void(e)
                raise
            if _is_stream(response):
                call.streaming = True
                return GuardedStream(response, call, hide)
            return call.record(response)

        return governed  # type: ignore[return-value]

