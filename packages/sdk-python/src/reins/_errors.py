"""Errors the SDK raises. A policy block is a result (``action: "block"``) for the REST client and
an exception (``ReinsBlocked``) for guarded provider calls, as in the TypeScript SDK."""

from typing import Any, Dict, Optional


class ReinsError(Exception):
    """A non-2xx answer from Reins, or no answer at all (``status == 0``).

    ``code`` is the docs' code (``VALIDATION_ERROR``, ``NOT_FOUND``, ``RATE_LIMITED`` ...), or
    ``NETWORK_ERROR`` / ``TIMEOUT`` when Reins did not answer; ``field`` names the offending field
    of a validation error; ``body`` is the parsed error body; ``retry_after`` is seconds (429).
    """

    def __init__(
        self,
        code: str,
        status: int,
        message: str,
        field: Optional[str] = None,
        body: Optional[Dict[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.field = field
        self.body = body
        self.retry_after = retry_after

    @property
    def unavailable(self) -> bool:
        """Reins is down, unreachable, too slow or failing (5xx): what fail-open lets through."""
        return self.status == 0 or self.status >= 500

    def __repr__(self) -> str:
        return "ReinsError(code=%r, status=%r, message=%r, field=%r)" % (
            self.code,
            self.status,
            self.message,
            self.field,
        )


class ReinsBlocked(Exception):
    """A guarded call stopped by a ``block`` rule (or the vendor's rate limit): the provider was
    never called. ``policy_result`` is the decision, ``details`` its figures (limit, current,
    timeWindow, resetsAt ...), ``transaction_id`` the recorded (blocked) transaction."""

    code = "REINS_BLOCKED"

    def __init__(
        self,
        policy_result: Dict[str, Any],
        details: Optional[Dict[str, Any]] = None,
        transaction_id: Optional[str] = None,
    ) -> None:
        message = policy_result.get("message") or "Blocked by a Reins policy rule"
        super().__init__(message)
        self.message = str(message)
        self.policy_result = policy_result
        self.details = details
        self.transaction_id = transaction_id
