"""``Reins``: the docs' REST client, one method per documented route, each returning the server's
JSON body (``success`` included) as a dict. A policy block is a result, never an exception:
``submit_transaction`` returns ``{"success": False, "code": "POLICY_VIOLATION", "action": "block",
"policyResult": ..., "details": ...}``. Every other non-2xx answer raises ``ReinsError``.

Fail-open: when Reins cannot answer an admission call (``submit_transaction``, ``submit_bulk``,
``reserve``, ``guard``) because of a network error, a timeout or a 5xx, the call is let through
(``failedOpen: True``) and what it recorded is queued and replayed in the background as an
``observed`` transaction, keyed by its idempotency key, once Reins is back; ``strict=True``
raises instead. ``flush()`` sends the queue now, ``close()`` flushes and stops the thread."""

import datetime
import logging
import os
import urllib.parse
import uuid
from typing import (
    Any,
    BinaryIO,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    TypeVar,
    Union,
    cast,
    overload,
)

from ._errors import ReinsError
from ._guard import Guard
from ._http import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Transport, to_error
from ._queue import TX_PATH, Outgoing, ReplayQueue

Body = Dict[str, Any]
#: Query parameters as the API names them (``agentId``, ``limit``, ``cursor`` ...).
Filters = Optional[Mapping[str, Any]]
F = TypeVar("F", bound=Callable[..., Any])

SDK_TAG = "reins-sdk-python"
_log = logging.getLogger("reins")


def new_key() -> str:
    """A fresh idempotency key."""
    return str(uuid.uuid4())


def seg(value: str, name: str) -> str:
    """One path segment, encoded. Empty, ``.`` and ``..`` would address another route."""
    if not isinstance(value, str) or value in ("", ".", ".."):
        raise ValueError('%s must be a non-empty string other than "." and ".."' % name)
    return urllib.parse.quote(value, safe="")


def _now_iso() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _filters(filters: Optional[Mapping[str, Any]], more: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = dict(filters or {})
    out.update(more)
    return out


def _blocked(body: Body) -> Body:
    """The server's 403 body with the docs' ``action: "block"`` added."""
    out = dict(body)
    out["action"] = "block"
    return out


def _is_violation(status: int, body: Any) -> bool:
    return status == 403 and isinstance(body, dict) and body.get("code") == "POLICY_VIOLATION"


def _key_refused(e: ReinsError) -> bool:
    return e.status == 401 or (e.status == 403 and e.code != "POLICY_VIOLATION")


class Reins:
    """A client of one Reins organization (the API key's).

    ``api_key`` defaults to ``REINS_API_KEY``, ``base_url`` to ``REINS_BASE_URL`` then
    ``http://127.0.0.1:3000``; ``timeout`` is seconds per request (default 10). ``strict``: raise
    instead of failing open. ``max_queue_size``: records kept while Reins is unreachable (the
    oldest are dropped past it). ``retry_interval``: the first replay delay in seconds (doubling
    up to 60). ``agent_id`` ... ``metadata``: defaults for ``guard()``'s transactions.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        strict: bool = False,
        max_queue_size: int = 10_000,
        retry_interval: float = 2.0,
        agent_id: Optional[str] = None,
        user_id: Optional[str] = None,
        user_roles: Optional[Sequence[str]] = None,
        team_id: Optional[str] = None,
        project_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        logger: Optional[logging.Logger] = None,
    ) -> None:
        key = api_key or os.environ.get("REINS_API_KEY")
        if not key:
            raise ReinsError(
                "UNAUTHORIZED", 401, "No API key: pass api_key or set REINS_API_KEY", None
            )
        url = base_url or os.environ.get("REINS_BASE_URL") or DEFAULT_BASE_URL
        self._http = Transport(key, url, timeout)
        self.base_url = self._http.base_url
        self.timeout = timeout
        self.strict = strict
        self._log = logger or _log
        self._queue = ReplayQueue(self._http, max_queue_size, retry_interval, self._log, timeout)
        self.failed_open = 0
        self.blocked = 0
        self.context: Dict[str, Any] = {
            "agentId": agent_id,
            "userId": user_id,
            "userRoles": list(user_roles) if user_roles else None,
            "teamId": team_id,
            "projectId": project_id,
        }
        self.metadata: Dict[str, Any] = dict(metadata or {})

    # --- plumbing ---------------------------------------------------------------------------

    def _get(
        self, path: str, query: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None
    ) -> Body:
        return cast(Body, self._http.ok("GET", path, query=query, timeout=timeout))

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Body:
        res = self._http.ok(method, path, body, idempotency_key=idempotency_key, timeout=timeout)
        return cast(Body, res)

    def _pages(self, path: str, items: str, query: Dict[str, Any]) -> Iterator[Body]:
        """The ``items`` of every page of a cursor-paged list, following ``nextCursor``."""
        while True:
            page = self._get(path, query)
            yield from page[items]
            if not page.get("nextCursor"):
                return
            query["cursor"] = page["nextCursor"]

    def _fail_open(self, err: ReinsError) -> None:
        """Raises unless ``err`` is an outage and the client is not strict."""
        if not err.unavailable or self.strict:
            raise err
        self.failed_open += 1
        self._log.warning(
            "Reins: %s; the call goes through unchecked and will be recorded when Reins answers "
            "again",
            err.message,
        )

    def _observe(self, tx: Mapping[str, Any], key: str, **changes: Any) -> None:
        """Queues ``tx`` as an ``observed`` transaction (the call already happened), idempotent by
        ``key`` (sent as ``metadata.requestId``)."""
        body: Body = {k: v for k, v in tx.items() if k not in ("phase", "reservationTtlSeconds")}
        body.update(changes)
        body["phase"] = "observed"
        body.setdefault("timestamp", _now_iso())
        metadata = dict(body.get("metadata") or {})
        metadata["requestId"] = key
        body["metadata"] = metadata
        self._queue.push(Outgoing(TX_PATH, body, key))

    def _failed_open_result(self, err: ReinsError, key: str) -> Body:
        return {
            "success": True,
            "failedOpen": True,
            "id": None,
            "action": "pass",
            "idempotencyKey": key,
            "policyResult": {
                "action": "pass",
                "ruleId": None,
                "ruleName": None,
                "message": "Reins could not answer (%s); let through unchecked" % err.message,
            },
            "error": {"code": err.code, "status": err.status, "message": err.message},
        }

    # --- transactions -----------------------------------------------------------------------

    def submit_transaction(
        self,
        tx: Mapping[str, Any],
        *,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Body:
        """``POST /api/v1/transactions``. Admitted: the 202 body. Blocked: the 403 body with
        ``action: "block"``, returned. Reins unreachable or failing (not strict): a pass with
        ``failedOpen: True``, the transaction queued as ``observed``. Retried with the same
        ``idempotency_key`` (generated when not given), it is recorded once."""
        return self._submit(tx, idempotency_key or new_key(), timeout, observe=True)

    def _submit(
        self, tx: Mapping[str, Any], key: str, timeout: Optional[float], observe: bool
    ) -> Body:
        try:
            res = self._http.request(
                "POST", TX_PATH, dict(tx), idempotency_key=key, timeout=timeout
            )
        except ReinsError as e:
            err = e
        else:
            if res.ok:
                return cast(Body, res.body)
            if _is_violation(res.status, res.body):
                return _blocked(res.body)
            err = to_error("POST", TX_PATH, res.status, res.body, res.headers)
        self._fail_open(err)
        if observe:
            self._observe(tx, key)
        return self._failed_open_result(err, key)

    def submit_bulk(
        self,
        transactions: Sequence[Mapping[str, Any]],
        *,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Body:
        """``POST /api/v1/transactions/bulk``: up to 1,000, evaluated in order, one result per
        item (a blocked item carries ``action: "block"``). Item i is keyed ``<key>#<i>``."""
        key = idempotency_key or new_key()
        path = TX_PATH + "/bulk"
        items = [dict(t) for t in transactions]
        try:
            res = self._http.request(
                "POST", path, {"transactions": items}, idempotency_key=key, timeout=timeout
            )
        except ReinsError as e:
            err = e
        else:
            if res.ok:
                body = dict(res.body)
                body["results"] = [
                    _blocked(r) if _is_violation(403, r) and not r.get("success") else r
                    for r in body.get("results", [])
                ]
                return body
            err = to_error("POST", path, res.status, res.body, res.headers)
        self._fail_open(err)
        results = []
        for i, tx in enumerate(items):
            item_key = "%s#%d" % (key, i)
            self._observe(tx, item_key)
            r = self._failed_open_result(err, item_key)
            r["index"] = i
            results.append(r)
        return {"success": True, "failedOpen": True, "results": results}

    def reserve(
        self,
        tx: Mapping[str, Any],
        *,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Body:
        """``POST /api/v1/transactions`` with ``phase: "reserve"``: holds the (estimated) amount
        until ``settle`` or ``void``. Returns the 202 body (``id`` is the reservation), or the
        block. Failing open, ``id`` is None and ``settle`` queues the call as ``observed``."""
        body = dict(tx)
        body["phase"] = "reserve"
        # Failing open, nothing is queued yet: what settle() reports is, as an observed call.
        result = self._submit(body, idempotency_key or new_key(), timeout, observe=False)
        if result.get("failedOpen"):
            result["transaction"] = {k: v for k, v in body.items() if k != "phase"}
        return result

    def settle(
        self,
        reservation: Union[str, Mapping[str, Any]],
        usage: Optional[Mapping[str, Any]] = None,
        *,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Body:
        """``POST /api/v1/transactions/:id/settle``: the actual cost (``amount`` or
        ``amountMicros``, or ``tokensIn``/``tokensOut`` to price) replaces the hold.
        ``reservation`` is the id or ``reserve()``'s result; a failed-open one is queued as an
        ``observed`` transaction with these figures, and ``{"success": True, "queued": True}``
        returned."""
        body: Body = dict(usage or {})
        body.update(fields)
        if not isinstance(reservation, str):
            if reservation.get("failedOpen"):
                key = str(reservation.get("idempotencyKey") or new_key())
                tx = dict(reservation.get("transaction") or {})
                for k in ("amount", "amountMicros"):
                    tx.pop(k, None)
                self._observe(tx, key, **body)
                return {"success": True, "queued": True, "idempotencyKey": key}
            reservation = str(reservation["id"])
        key = idempotency_key or new_key()
        path = "%s/%s/settle" % (TX_PATH, seg(reservation, "id"))
        return self._post_or_queue(path, body, key, timeout)

    def void(
        self,
        reservation: Union[str, Mapping[str, Any]],
        reason: Optional[str] = None,
        *,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Body:
        """``POST /api/v1/transactions/:id/void``: the hold is released (the call did not
        happen). A failed-open reservation has nothing to release."""
        if not isinstance(reservation, str):
            if reservation.get("failedOpen"):
                return {"success": True, "queued": False}
            reservation = str(reservation["id"])
        body: Body = {} if reason is None else {"reason": reason}
        key = idempotency_key or new_key()
        path = "%s/%s/void" % (TX_PATH, seg(reservation, "id"))
        return self._post_or_queue(path, body, key, timeout)

    def _post_or_queue(self, path: str, body: Body, key: str, timeout: Optional[float]) -> Body:
        """A settle or void: sent now; when Reins cannot take it (not strict), queued and
        replayed with the same key, so that it applies once."""
        try:
            return self._send("POST", path, body, key, timeout)
        except ReinsError as e:
            self._fail_open(e)
            self._queue.push(Outgoing(path, body, key))
            return {"success": True, "queued": True, "idempotencyKey": key}

    settle_transaction = settle
    void_transaction = void

    def evaluate_policy(self, tx: Mapping[str, Any], *, timeout: Optional[float] = None) -> Body:
        """``POST /api/policy-rules/evaluate``: the decision ``tx`` would get now (``result``,
        ``shadow``, ``evaluatedRules``); records nothing."""
        return self._send("POST", "/api/policy-rules/evaluate", dict(tx), timeout=timeout)

    def list_transactions(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/v1/transactions``: newest first; filters as the docs name them
        (``agentId``, ``vendor``, ``startDate``, ``limit``, ``cursor`` ...)."""
        return self._get(TX_PATH, _filters(filters, more))

    def iter_transactions(self, filters: Filters = None, **more: Any) -> Iterator[Body]:
        """Every matching transaction, newest first, page by page with the cursor."""
        return self._pages(TX_PATH, "transactions", _filters(filters, more))

    def get_transaction(self, id: str) -> Body:
        """``GET /api/v1/transactions/:id``."""
        return self._get("%s/%s" % (TX_PATH, seg(id, "id")))

    def get_trace(self, id: str) -> Body:
        """``GET /api/v1/transactions/:id/trace``: every rule's verdict, replayed."""
        return self._get("%s/%s/trace" % (TX_PATH, seg(id, "id")))

    def review_transaction(self, id: str, decision: str, note: Optional[str] = None) -> Body:
        """``POST /api/v1/transactions/:id/review``: a flagged one ``approved`` or ``rejected``."""
        body: Body = {"decision": decision}
        if note is not None:
            body["note"] = note
        return self._send("POST", "%s/%s/review" % (TX_PATH, seg(id, "id")), body)

    # --- policy rules, docs dialect ---------------------------------------------------------

    def list_rules(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/policy-rules``, in evaluation order."""
        return self._get("/api/policy-rules", _filters(filters, more))

    def get_rule(self, id: str) -> Body:
        return self._get("/api/policy-rules/" + seg(id, "id"))

    def create_rule(self, rule: Mapping[str, Any]) -> Body:
        """``POST /api/policy-rules`` (the docs' dialect: ``conditions``, ``action``, ...)."""
        return self._send("POST", "/api/policy-rules", dict(rule))

    def update_rule(self, id: str, patch: Mapping[str, Any]) -> Body:
        """``PUT /api/policy-rules/:id``: a merge patch (``None`` removes a field)."""
        return self._send("PUT", "/api/policy-rules/" + seg(id, "id"), dict(patch))

    def delete_rule(self, id: str) -> Body:
        return self._send("DELETE", "/api/policy-rules/" + seg(id, "id"))

    def get_rule_hits(self, id: str, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/policy-rules/:id/hits``: per day, how often the rule decided (blocked,
        flagged, warned) and the amount it concerned."""
        return self._get("/api/policy-rules/%s/hits" % seg(id, "id"), _filters(filters, more))

    def start_backtest(self, body: Mapping[str, Any]) -> Body:
        """``POST /api/policy-rules/backtest``: queues a replay of draft rules over the past."""
        return self._send("POST", "/api/policy-rules/backtest", dict(body))

    def get_backtest(self, id: str) -> Body:
        return self._get("/api/policy-rules/backtest/" + seg(id, "id"))

    # --- policy rules, typed dialect --------------------------------------------------------

    def list_typed_rules(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/v1/rules`` (the typed dialect: ``type``, ``scope``, ``limit`` ...)."""
        return self._get("/api/v1/rules", _filters(filters, more))

    def get_typed_rule(self, id: str) -> Body:
        return self._get("/api/v1/rules/" + seg(id, "id"))

    def create_typed_rule(self, rule: Mapping[str, Any]) -> Body:
        return self._send("POST", "/api/v1/rules", dict(rule))

    def update_typed_rule(self, id: str, patch: Mapping[str, Any]) -> Body:
        return self._send("PUT", "/api/v1/rules/" + seg(id, "id"), dict(patch))

    def delete_typed_rule(self, id: str) -> Body:
        return self._send("DELETE", "/api/v1/rules/" + seg(id, "id"))

    # --- organization and budgets -----------------------------------------------------------

    def get_org(self) -> Body:
        """``GET /api/org``: name, time zone, default action, budgets per period."""
        return self._get("/api/org")

    def update_org(self, patch: Mapping[str, Any]) -> Body:
        """``PUT /api/org`` (permission ``org:admin``)."""
        return self._send("PUT", "/api/org", dict(patch))

    def list_budgets(self, kind: Optional[str] = None) -> Body:
        """``GET /api/budgets``: the budgets of roles, teams and projects."""
        return self._get("/api/budgets", {"kind": kind})

    def get_budget_usage(self) -> Body:
        """``GET /api/budgets/usage``: what the organization, each team, project and agent has
        spent in the current hourly, daily, weekly and monthly windows."""
        return self._get("/api/budgets/usage")

    def get_budget(self, kind: str, id: str) -> Body:
        """``GET /api/budgets/:kind/:id`` (kind ``roles``, ``teams`` or ``projects``)."""
        return self._get("/api/budgets/%s/%s" % (seg(kind, "kind"), seg(id, "id")))

    def set_budget(self, kind: str, id: str, budgets: Mapping[str, Any]) -> Body:
        """``PUT /api/budgets/:kind/:id``, e.g.
        ``set_budget("roles", "free", {"dailyBudgetCents": 500})``."""
        path = "/api/budgets/%s/%s" % (seg(kind, "kind"), seg(id, "id"))
        return self._send("PUT", path, dict(budgets))

    def delete_budget(self, kind: str, id: str) -> Body:
        return self._send("DELETE", "/api/budgets/%s/%s" % (seg(kind, "kind"), seg(id, "id")))

    # --- agents -----------------------------------------------------------------------------

    def register_agent(self, agent: Mapping[str, Any]) -> Body:
        """``POST /api/agents``."""
        return self._send("POST", "/api/agents", dict(agent))

    create_agent = register_agent

    def list_agents(self, filters: Filters = None, **more: Any) -> Body:
        return self._get("/api/agents", _filters(filters, more))

    def get_agent(self, agent_id: str) -> Body:
        return self._get("/api/agents/" + seg(agent_id, "agent_id"))

    def update_agent(self, agent_id: str, patch: Mapping[str, Any]) -> Body:
        return self._send("PUT", "/api/agents/" + seg(agent_id, "agent_id"), dict(patch))

    def delete_agent(self, agent_id: str) -> Body:
        """``DELETE /api/agents/:agentId``: its past transactions stay recorded."""
        return self._send("DELETE", "/api/agents/" + seg(agent_id, "agent_id"))

    # --- vendors and prices -----------------------------------------------------------------

    def list_vendors(self) -> Body:
        return self._get("/api/vendors")

    def get_vendor(self, vendor: str) -> Body:
        return self._get("/api/vendors/" + seg(vendor, "vendor"))

    def update_vendor(self, vendor: str, settings: Mapping[str, Any]) -> Body:
        """``PUT /api/vendors/:vendor``: enable or disable it, set its requests-per-minute limit."""
        return self._send("PUT", "/api/vendors/" + seg(vendor, "vendor"), dict(settings))

    def list_prices(self, vendor: str, at: Union[str, datetime.datetime, None] = None) -> Body:
        """``GET /api/vendors/:vendor/prices``: the price table at ``at`` (default now)."""
        return self._get("/api/vendors/%s/prices" % seg(vendor, "vendor"), {"at": at})

    def list_price_overrides(self, vendor: str) -> Body:
        return self._get("/api/vendors/%s/price-overrides" % seg(vendor, "vendor"))

    def create_price_override(self, vendor: str, override: Mapping[str, Any]) -> Body:
        path = "/api/vendors/%s/price-overrides" % seg(vendor, "vendor")
        return self._send("POST", path, dict(override))

    def delete_price_override(self, vendor: str, id: str) -> Body:
        path = "/api/vendors/%s/price-overrides/%s" % (seg(vendor, "vendor"), seg(id, "id"))
        return self._send("DELETE", path)

    # --- alerts and notification channels ---------------------------------------------------

    def list_alerts(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/policy-alerts``, newest first."""
        return self._get("/api/policy-alerts", _filters(filters, more))

    def get_alert(self, id: str) -> Body:
        return self._get("/api/policy-alerts/" + seg(id, "id"))

    def mark_alert_read(self, id: str) -> Body:
        """``PUT /api/policy-alerts/:id/read`` (idempotent)."""
        return self._send("PUT", "/api/policy-alerts/%s/read" % seg(id, "id"))

    def create_channel(self, channel: Mapping[str, Any]) -> Body:
        """``POST /api/notification-channels``: a webhook's signing ``secret`` is shown in this
        answer only."""
        return self._send("POST", "/api/notification-channels", dict(channel))

    def list_channels(self) -> Body:
        return self._get("/api/notification-channels")

    def get_channel(self, id: str) -> Body:
        return self._get("/api/notification-channels/" + seg(id, "id"))

    def update_channel(self, id: str, patch: Mapping[str, Any]) -> Body:
        return self._send("PUT", "/api/notification-channels/" + seg(id, "id"), dict(patch))

    def delete_channel(self, id: str) -> Body:
        return self._send("DELETE", "/api/notification-channels/" + seg(id, "id"))

    def test_channel(self, id: str) -> Body:
        """``POST /api/notification-channels/:id/test``: queues a test delivery."""
        return self._send("POST", "/api/notification-channels/%s/test" % seg(id, "id"), {})

    def list_channel_deliveries(self, id: str, filters: Filters = None, **more: Any) -> Body:
        path = "/api/notification-channels/%s/deliveries" % seg(id, "id")
        return self._get(path, _filters(filters, more))

    # --- analytics --------------------------------------------------------------------------

    def get_analytics_summary(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/analytics/summary`` (``period`` or ``startDate``/``endDate``, ``agentId``,
        ``groupBy``)."""
        return self._get("/api/analytics/summary", _filters(filters, more))

    def get_forecast(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/analytics/forecast`` (``period``, ``agentId``)."""
        return self._get("/api/analytics/forecast", _filters(filters, more))

    def get_anomalies(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/analytics/anomalies`` (``agentId``, ``hours``)."""
        return self._get("/api/analytics/anomalies", _filters(filters, more))

    # --- audit log --------------------------------------------------------------------------

    def list_audit_events(self, filters: Filters = None, **more: Any) -> Body:
        """``GET /api/v1/audit-log``, newest first."""
        return self._get("/api/v1/audit-log", _filters(filters, more))

    def iter_audit_events(self, filters: Filters = None, **more: Any) -> Iterator[Body]:
        """Every matching audit event, newest first, page by page with the cursor."""
        return self._pages("/api/v1/audit-log", "events", _filters(filters, more))

    @overload
    def download_audit_csv(
        self, dest: "Union[str, os.PathLike[str]]", filters: Filters = ..., **more: Any
    ) -> int: ...
    @overload
    def download_audit_csv(self, dest: BinaryIO, filters: Filters = ..., **more: Any) -> int: ...

    def download_audit_csv(
        self,
        dest: "Union[str, os.PathLike[str], BinaryIO]",
        filters: Filters = None,
        **more: Any,
    ) -> int:
        """``GET /api/v1/audit-log/csv`` streamed to ``dest`` (a path, or a binary file object)
        without holding the export in memory; returns the bytes written. The timeout bounds each
        wait for data. A failed download to a path leaves no partial file."""
        q = _filters(filters, more)
        if hasattr(dest, "write"):
            return self._http.download("/api/v1/audit-log/csv", dest, q)  # type: ignore[arg-type]
        path = os.fspath(dest)  # type: ignore[arg-type]
        tmp = path + ".part"
        try:
            with open(tmp, "wb") as f:
                n = self._http.download("/api/v1/audit-log/csv", f, q)
            os.replace(tmp, path)
            return n
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def verify_audit_log(self) -> Body:
        """``GET /api/v1/audit-log/verify``: seals pending events, verifies the hash chain from
        the last verified checkpoint."""
        return self._get("/api/v1/audit-log/verify")

    def start_audit_verification(self) -> Body:
        """``POST /api/v1/audit-log/verifications``: a full verification from the chain's start,
        in the background; poll it with ``get_audit_verification``."""
        return self._send("POST", "/api/v1/audit-log/verifications", {})

    def get_audit_verification(self, id: str) -> Body:
        return self._get("/api/v1/audit-log/verifications/" + seg(id, "id"))

    # --- API keys ---------------------------------------------------------------------------

    def list_keys(self) -> Body:
        """``GET /api/keys`` (masked)."""
        return self._get("/api/keys")

    def create_key(self, key: Mapping[str, Any]) -> Body:
        """``POST /api/keys``: the full key is in this answer only."""
        return self._send("POST", "/api/keys", dict(key))

    def revoke_key(self, id: str) -> Body:
        return self._send("DELETE", "/api/keys/" + seg(id, "id"))

    def health(self) -> Body:
        """``GET /health``: 200 when the server and its database answer; a 503 raises."""
        return self._get("/health")

    # --- guard ------------------------------------------------------------------------------

    def guard(
        self,
        vendor: Optional[str] = None,
        model: Optional[str] = None,
        *,
        tokens_in: Optional[int] = None,
        max_tokens: Optional[int] = None,
        amount: Optional[int] = None,
        agent_id: Optional[str] = None,
        user_id: Optional[str] = None,
        user_roles: Optional[Sequence[str]] = None,
        team_id: Optional[str] = None,
        project_id: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        reservation_ttl_seconds: Optional[int] = None,
    ) -> "Guard":
        """A governed provider call, as a context manager or a decorator (see ``Guard``)."""
        ctx = dict(self.context)
        for k, v in (
            ("agentId", agent_id),
            ("userId", user_id),
            ("userRoles", list(user_roles) if user_roles else None),
            ("teamId", team_id),
            ("projectId", project_id),
        ):
            if v is not None:
                ctx[k] = v
        meta = {"source": SDK_TAG}
        meta.update(self.metadata)
        meta.update(metadata or {})
        return Guard(
            self,
            vendor=vendor,
            model=model,
            tokens_in=tokens_in,
            max_tokens=max_tokens,
            amount=amount,
            context={k: v for k, v in ctx.items() if v is not None},
            metadata=meta,
            reservation_ttl_seconds=reservation_ttl_seconds,
        )

    # --- the replay queue -------------------------------------------------------------------

    def stats(self) -> Dict[str, int]:
        """``pending`` (waiting), ``sent`` (replayed), ``dropped`` (queue full), ``rejected``
        (refused by Reins, not retried), ``failedOpen`` (calls let through), ``blocked``
        (guarded calls stopped)."""
        q = self._queue
        return {
            "pending": q.pending,
            "sent": q.sent,
            "dropped": q.dropped,
            "rejected": q.rejected,
            "failedOpen": self.failed_open,
            "blocked": self.blocked,
        }

    def flush(self) -> Dict[str, int]:
        """Sends what is queued now; returns when the queue is empty or Reins is unreachable."""
        self._queue.deliver()
        return self.stats()

    def close(self) -> Dict[str, int]:
        """A last flush, then the background thread stops. Records that could still not be
        delivered are dropped with the client; a closed client refuses to queue new ones
        (``RuntimeError``)."""
        self._queue.close(self._queue.deliver)
        return self.stats()

    def __enter__(self) -> "Reins":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

