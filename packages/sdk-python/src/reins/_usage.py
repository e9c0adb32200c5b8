"""What a provider call will cost before it is made (prompt tokens estimated from the request,
output bounded by its max-tokens parameter) and what it did cost after (the usage the response
reports), duck-typed on the official ``openai`` and ``anthropic`` clients' objects (attributes)
and on plain dicts, without importing either. The TypeScript SDK's ``estimate.ts`` in Python."""

import math
from typing import Any, Dict, Mapping, Optional, Tuple

#: Output bound when a request sets none.
DEFAULT_MAX_OUTPUT_TOKENS = 4096
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_IMAGE = 1600
_IMAGE_TYPES = ("image", "image_url", "input_image", "document", "input_file")
_SKIP_KEYS = ("role", "type", "id", "cache_control")

Usage = Dict[str, int]


def field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` otherwise (pydantic models, SimpleNamespace)."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _walk(value: Any, acc: Dict[str, int]) -> None:
    if isinstance(value, str):
        acc["chars"] += len(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk(v, acc)
    elif isinstance(value, Mapping):
        if value.get("type") in _IMAGE_TYPES:
            acc["images"] += 1
            return
        for k, v in value.items():
            if k not in _SKIP_KEYS:
                _walk(v, acc)


def _tokens_of(*parts: Any) -> int:
    acc = {"chars": 0, "images": 0}
    for p in parts:
        _walk(p, acc)
    return math.ceil(acc["chars"] / CHARS_PER_TOKEN) + acc["images"] * TOKENS_PER_IMAGE


def _num(v: Any) -> Optional[int]:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v != v:
        return None
    return int(v)


def estimate_request(
    vendor: str, params: Mapping[str, Any], default_max_output: int = DEFAULT_MAX_OUTPUT_TOKENS
) -> Tuple[str, int, int]:
    """(model, tokens in, tokens out bound) of a chat.completions / responses / messages request."""
    model = params.get("model") if isinstance(params.get("model"), str) else ""
    if vendor == "anthropic":
        messages = params.get("messages") or []
        return (
            str(model),
            _tokens_of(messages, params.get("system"), params.get("tools"))
            + len(messages) * TOKENS_PER_MESSAGE,
            _num(params.get("max_tokens")) or default_max_output,
        )
    if "input" in params and "messages" not in params:
        inp = params.get("input")
        count = len(inp) if isinstance(inp, list) else 1
        return (
            str(model),
            _tokens_of(inp, params.get("instructions"), params.get("tools"), params.get("text"))
            + count * TOKENS_PER_MESSAGE,
            _num(params.get("max_output_tokens")) or default_max_output,
        )
    messages = params.get("messages") or []
    bound = _num(params.get("max_completion_tokens"))
    if bound is None:
        bound = _num(params.get("max_tokens"))
    if bound is None:
        bound = default_max_output
    return (
        str(model),
        _tokens_of(
            messages, params.get("tools"), params.get("functions"), params.get("response_format")
        )
        + len(messages) * TOKENS_PER_MESSAGE,
        bound * max(1, _num(params.get("n")) or 1),
    )


def usage_of(vendor: str, usage: Any) -> Optional[Usage]:
    """A response's usage normalized (input tokens include cached ones); None when absent.

    OpenAI chat: ``prompt_tokens`` / ``completion_tokens`` (+ ``prompt_tokens_details``);
    OpenAI responses: ``input_tokens`` / ``output_tokens`` (+ ``input_tokens_details``); Anthropic:
    ``input_tokens`` / ``output_tokens`` with cache reads and writes reported beside the input."""
    if usage is None:
        return None
    prompt = _num(field(usage, "prompt_tokens"))
    completion = _num(field(usage, "completion_tokens"))
    if prompt is not None or completion is not None:
        cached = _num(field(field(usage, "prompt_tokens_details"), "cached_tokens")) or 0
        return {
            "tokensIn": prompt or 0,
            "tokensOut": completion or 0,
            "cacheReadTokens": min(cached, prompt or 0),
            "cacheWriteTokens": 0,
        }
    inp = _num(field(usage, "input_tokens"))
    out = _num(field(usage, "output_tokens"))
    if inp is None and out is None:
        return None
    if vendor == "anthropic":
        read = _num(field(usage, "cache_read_input_tokens")) or 0
        write = _num(field(usage, "cache_creation_input_tokens")) or 0
        return {
            "tokensIn": (inp or 0) + read + write,
            "tokensOut": out or 0,
            "cacheReadTokens": read,
            "cacheWriteTokens": write,
        }
    cached = _num(field(field(usage, "input_tokens_details"), "cached_tokens")) or 0
    return {
        "tokensIn": inp or 0,
        "tokensOut": out or 0,
        "cacheReadTokens": min(cached, inp or 0),
        "cacheWriteTokens": 0,
    }


class StreamUsage:
    """Follows a stream's events (chunks) for the usage they carry and the text delivered, for
    OpenAI chat chunks, OpenAI Responses events and Anthropic message events."""

    def __init__(self, vendor: str, tokens_in: int) -> None:
        self.vendor = vendor
        self.estimated_in = tokens_in
        self.input: Optional[int] = None
        self.output: Optional[int] = None
        self.cache_read = 0
        self.cache_write = 0
        self.chars = 0

    def see(self, event: Any) -> None:
        kind = field(event, "type")
        if self.vendor == "anthropic":
            if kind == "message_start":
                u = usage_of("anthropic", field(field(event, "message"), "usage"))
                if u:
                    self.input = u["tokensIn"]
                    self.cache_read = u["cacheReadTokens"]
                    self.cache_write = u["cacheWriteTokens"]
            elif kind == "message_delta":
                out = _num(field(field(event, "usage"), "output_tokens"))
                if out is not None:
                    self.output = out
            elif kind == "content_block_delta":
                d = field(event, "delta")
                text = field(d, "text")
                if not isinstance(text, str):
                    text = field(d, "partial_json")
                if isinstance(text, str):
                    self.chars += len(text)
            return
        if isinstance(kind, str) and kind.startswith("response."):
            if kind == "response.output_text.delta" and isinstance(field(event, "delta"), str):
                self.chars += len(field(event, "delta"))
            u = usage_of("openai", field(field(event, "response"), "usage"))
            if u:
                self._take(u)
            return
        u = usage_of("openai", field(event, "usage"))
        if u:
            self._take(u)
        for choice in field(event, "choices") or []:
            content = field(field(choice, "delta"), "content")
            if isinstance(content, str):
                self.chars += len(content)

    def _take(self, u: Usage) -> None:
        self.input = u["tokensIn"]
        self.output = u["tokensOut"]
        self.cache_read = u["cacheReadTokens"]

    def usage(self) -> Usage:
        """What was received is what is owed (a stream cut short is settled for its text)."""
        return {
            "tokensIn": self.estimated_in if self.input is None else self.input,
            "tokensOut": math.ceil(self.chars / CHARS_PER_TOKEN)
            if self.output is None
            else self.output,
            "cacheReadTokens": self.cache_read,
            "cacheWriteTokens": self.cache_write,
        }
