"""Verifying a Reins notification (docs/notifications.md): ``X-Reins-Signature`` is ``v1=`` and
the hex HMAC-SHA256, keyed with the channel's signing secret, of ``"{X-Reins-Timestamp}.{raw
body}"``; the timestamp (Unix seconds) must be within the replay window (5 minutes) of the
receiver's clock. Several comma-separated ``v1=`` values are accepted (rotating secrets)."""

import hashlib
import hmac
import re
import time
from typing import Any, Mapping, Optional, Union

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
_TIMESTAMP = re.compile(r"^\d{1,12}$")


def sign_webhook(secret: str, timestamp: int, body: Union[str, bytes]) -> str:
    """The ``X-Reins-Signature`` value Reins sends for ``body`` at ``timestamp``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    signed = str(timestamp).encode("ascii") + b"." + raw
    mac = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256)
    return "%s=%s" % (SIGNATURE_VERSION, mac.hexdigest())


def _header(headers: Any, name: str) -> Optional[str]:
    """A header from a dict (any case), an ``email.message.Message`` / ``http.client`` headers
    object, or a WSGI-style environ (``HTTP_X_REINS_SIGNATURE``)."""
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    for key in (name, name.lower(), "HTTP_" + name.upper().replace("-", "_")):
        v = getter(key)
        if v is not None:
            return str(v)
    if isinstance(headers, Mapping):
        for k, v in headers.items():
            if isinstance(k, str) and k.lower() == name.lower():
                return str(v)
    return None


def verify_webhook(
    body: Union[str, bytes],
    headers: Any,
    secret: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: Optional[float] = None,
) -> bool:
    """True when ``body`` (the raw bytes as received, not re-serialized JSON) carries a valid
    signature from ``secret`` and a timestamp within ``tolerance_seconds`` of ``now`` (default:
    this machine's clock). Compared in constant time. Dedupe deliveries on their ``id``
    (``X-Reins-Delivery``) yourself: a retry is freshly signed."""
    timestamp = _header(headers, "X-Reins-Timestamp")
    signature = _header(headers, "X-Reins-Signature")
    if not timestamp or not _TIMESTAMP.match(timestamp) or not signature:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds:
        return False
    expected = sign_webhook(secret, int(timestamp), body).encode("ascii")
    given = [s.strip().encode("utf-8", "replace") for s in signature.split(",")]
    ok = False
    for g in given:
        # Every candidate is compared (no early exit on the first match).
        ok = hmac.compare_digest(g, expected) or ok
    return ok
