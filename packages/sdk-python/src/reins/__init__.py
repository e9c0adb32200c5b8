"""reins: the Python SDK of Reins, spend governance for AI agents.

``Reins(api_key, base_url, timeout)`` is the docs' REST client (one method per route), failing
open with a bounded replay queue when Reins cannot answer; ``guard()`` governs OpenAI and
Anthropic calls; ``verify_webhook()`` checks Reins notifications. Standard library only."""

from ._client import Reins
from ._errors import ReinsBlocked, ReinsError
from ._guard import AsyncGuardedStream, Guard, GuardedCall, GuardedStream
from .webhooks import sign_webhook, verify_webhook

__version__ = "0.1.0"

__all__ = [
    "Reins",
    "ReinsError",
    "ReinsBlocked",
    "Guard",
    "GuardedCall",
    "GuardedStream",
    "AsyncGuardedStream",
    "verify_webhook",
    "sign_webhook",
    "__version__",
]
