"""The one HTTP path of the SDK: ``urllib`` with a timeout per request and the API key as a
Bearer token. No answer at all (refused, reset, DNS, timeout) becomes ``ReinsError`` with
status 0; any HTTP answer is returned for the caller to judge."""

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timezone
from typing import Any, BinaryIO, Dict, Mapping, Optional, Tuple

from ._errors import ReinsError

DEFAULT_BASE_URL = "http://127.0.0.1:3000"
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "reins-sdk-python/0.1.0"

Headers = Mapping[str, str]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Reins never redirects an API call; following one would resend the key elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _query_value(v: Any) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=timezone.utc)
        return v.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def query_string(query: Optional[Mapping[str, Any]]) -> str:
    if not query:
        return ""
    pairs = [(k, _query_value(v)) for k, v in query.items()]
    s = urllib.parse.urlencode([(k, v) for k, v in pairs if v is not None])
    return "?" + s if s else ""


def code_for(status: int) -> str:
    return {
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CONFLICT",
        422: "VALIDATION_ERROR",
        429: "RATE_LIMITED",
        503: "SERVICE_UNAVAILABLE",
    }.get(status, "INTERNAL_ERROR" if status >= 500 else "HTTP_ERROR")


def to_error(method: str, path: str, status: int, body: Any, headers: Headers) -> ReinsError:
    """The ``ReinsError`` for an error answer, keeping the docs' code, message and field."""
    b = body if isinstance(body, dict) else None
    code = b.get("code") if b and isinstance(b.get("code"), str) else code_for(status)
    message = (
        b.get("message")
        if b and isinstance(b.get("message"), str)
        else "%s %s answered %d" % (method, path, status)
    )
    field = b.get("field") if b and isinstance(b.get("field"), str) else None
    retry_after: Optional[float] = None
    raw = headers.get("retry-after") or headers.get("Retry-After")
    if raw:
        try:
            retry_after = float(raw) if float(raw) > 0 else None
        except ValueError:
            retry_after = None
    return ReinsError(str(code), status, str(message), field, b, retry_after)


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Transport:
    def __init__(self, api_key: str, base_url: str, timeout: float) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _open(
        self,
        method: str,
        path: str,
        body: Any,
        query: Optional[Mapping[str, Any]],
        idempotency_key: Optional[str],
        timeout: Optional[float],
        accept: str,
    ) -> Tuple[int, Dict[str, str], Any]:
        """The raw answer (status, lower-cased headers, an open file-like body)."""
        url = self.base_url + path + query_string(query)
        headers = {
            "Authorization": "Bearer " + self.api_key,
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }
        data: Optional[bytes] = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), default=_json_default).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        t = self.timeout if timeout is None else timeout
        try:
            res = _opener.open(req, timeout=t)
            return res.status, {k.lower(): v for k, v in res.headers.items()}, res
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e
        except (socket.timeout, TimeoutError) as e:
            raise ReinsError(
                "TIMEOUT", 0, "Reins did not answer %s %s within %gs" % (method, path, t)
            ) from e
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise ReinsError(
                    "TIMEOUT", 0, "Reins did not answer %s %s within %gs" % (method, path, t)
                ) from e
            raise ReinsError(
                "NETWORK_ERROR", 0, "Reins is unreachable at %s: %s" % (self.base_url, e.reason)
            ) from e
        except (OSError, ValueError) as e:
            raise ReinsError(
                "NETWORK_ERROR", 0, "Reins is unreachable at %s: %s" % (self.base_url, e)
            ) from e

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """Any HTTP answer is returned (the caller decides what a 403 means); none raises."""
        status, headers, res = self._open(
            method, path, body, query, idempotency_key, timeout, "application/json"
        )
        try:
            return Response(status, headers, _read_json(res, method, path, status))
        finally:
            res.close()

    def ok(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """As ``request``, but a non-2xx answer raises ``ReinsError``."""
        res = self.request(method, path, body, query, idempotency_key, timeout)
        if res.ok:
            return res.body
        raise to_error(method, path, res.status, res.body, res.headers)

    def download(
        self,
        path: str,
        out: BinaryIO,
        query: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        chunk_size: int = 64 * 1024,
    ) -> int:
        """Streams a 2xx body into ``out`` chunk by chunk; returns the bytes written. The timeout
        applies to each wait for data, not to the whole download."""
        status, headers, res = self._open("GET", path, None, query, None, timeout, "text/csv")
        try:
            if not (200 <= status < 300):
                raise to_error("GET", path, status, _read_json(res, "GET", path, status), headers)
            written = 0
            while True:
                try:
                    chunk = res.read(chunk_size)
                except (socket.timeout, TimeoutError) as e:
                    raise ReinsError("TIMEOUT", 0, "Reins stopped sending GET %s" % path) from e
                except OSError as e:
                    raise ReinsError(
                        "NETWORK_ERROR", 0, "Reins's answer to GET %s was cut off: %s" % (path, e)
                    ) from e
                if not chunk:
                    return written
                out.write(chunk)
                written += len(chunk)
        finally:
            res.close()


def _read_json(res: Any, method: str, path: str, status: int) -> Any:
    """A whole answer's body as JSON; one that is not JSON (a proxy's HTML page) becomes an error
    body in the docs' shape, so callers see one kind of answer."""
    try:
        raw = res.read()
    except (OSError, ValueError) as e:
        raise ReinsError(
            "NETWORK_ERROR", 0, "Reins's answer to %s %s was cut off: %s" % (method, path, e)
        ) from e
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"success": False, "code": code_for(status), "message": text[:500]}


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime):
        return _query_value(v)
    if isinstance(v, date):
        return v.isoformat()
    raise TypeError("Object of type %s is not JSON serializable" % type(v).__name__)
