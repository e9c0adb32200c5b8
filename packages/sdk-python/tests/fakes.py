"""Provider responses shaped as the official ``openai`` and ``anthropic`` Python clients return
them (objects with attributes, as their pydantic models; streams as iterators of events). No
provider is reachable here: these stand for the provider, never for Reins."""

from types import SimpleNamespace as NS
from typing import Any, Dict, Iterator, List, Optional


class Model(NS):
    """Pydantic-like: iterable over its fields and with ``model_dump``, as openai's models are."""

    def __iter__(self) -> Iterator[Any]:
        return iter(vars(self).items())

    def model_dump(self) -> Dict[str, Any]:
        return dict(vars(self))


def openai_chat(prompt: int, completion: int, cached: int = 0, text: str = "Hello!") -> Model:
    return Model(
        id="chatcmpl-1",
        object="chat.completion",
        model="gpt-4o",
        choices=[Model(index=0, message=Model(role="assistant", content=text), finish_reason="stop")],
        usage=Model(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            prompt_tokens_details=Model(cached_tokens=cached),
        ),
    )


def openai_response(inp: int, out: int) -> Model:
    return Model(
        id="resp_1",
        object="response",
        output_text="Hi",
        usage=Model(input_tokens=inp, output_tokens=out, input_tokens_details=Model(cached_tokens=0)),
    )


def anthropic_message(inp: int, out: int, cache_read: int = 0, cache_write: int = 0) -> Model:
    return Model(
        id="msg_1",
        type="message",
        role="assistant",
        content=[Model(type="text", text="Hi")],
        usage=Model(
            input_tokens=inp,
            output_tokens=out,
            cache_read_input_tokens=cache_read,
            cache_creation_input_tokens=cache_write,
        ),
    )


class Stream:
    """Like ``openai.Stream`` / ``anthropic.Stream``: an iterator with ``close()`` and ``response``."""

    def __init__(self, events: List[Any]) -> None:
        self._events = iter(events)
        self.response = NS(status_code=200)
        self.closed = False

    def __iter__(self) -> "Stream":
        return self

    def __next__(self) -> Any:
        if self.closed:
            raise StopIteration
        return next(self._events)

    def close(self) -> None:
        self.closed = True


def openai_chat_stream(texts: List[str], usage: Optional[Dict[str, int]]) -> Stream:
    events: List[Any] = [
        Model(choices=[Model(index=0, delta=Model(content=t))], usage=None) for t in texts
    ]
    if usage is not None:
        events.append(
            Model(
                choices=[],
                usage=Model(prompt_tokens=usage["prompt"], completion_tokens=usage["completion"]),
            )
        )
    return Stream(events)


def anthropic_stream(inp: int, texts: List[str], out: int, cache_read: int = 0) -> Stream:
    events: List[Any] = [
        Model(
            type="message_start",
            message=Model(
                usage=Model(input_tokens=inp, output_tokens=1, cache_read_input_tokens=cache_read)
            ),
        ),
        Model(type="content_block_start", index=0),
    ]
    events += [Model(type="content_block_delta", delta=Model(type="text_delta", text=t)) for t in texts]
    events += [
        Model(type="message_delta", usage=Model(output_tokens=out)),
        Model(type="message_stop"),
    ]
    return Stream(events)


def responses_stream(texts: List[str], inp: int, out: int) -> Stream:
    events: List[Any] = [Model(type="response.created", response=Model(usage=None))]
    events += [Model(type="response.output_text.delta", delta=t) for t in texts]
    events.append(
        Model(type="response.completed", response=Model(usage=Model(input_tokens=inp, output_tokens=out)))
    )
    return Stream(events)


class AsyncStream:
    """Like ``openai.AsyncStream`` / ``anthropic.AsyncStream``: an async iterator, ``await close()``."""

    def __init__(self, events: List[Any]) -> None:
        self._events = iter(events)
        self.closed = False

    def __aiter__(self) -> "AsyncStream":
        return self

    async def __anext__(self) -> Any:
        if self.closed:
            raise StopAsyncIteration
        try:
            return next(self._events)
        except StopIteration:
            raise StopAsyncIteration from None

    async def close(self) -> None:
        self.closed = True
