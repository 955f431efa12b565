"""Anthropic Messages <-> the chat service, through litellm's Anthropic adapter.

In: the adapter turns the (validated) request into OpenAI chat kwargs, which then pass the
OpenAI route's own validation and allow-list (`ChatRequest.to_call`). Out: the adapter turns a
chat response into a Message, and a chat stream into Anthropic's server-sent events
(`message_start`, `content_block_*`, `message_delta`, `message_stop`).

Tool names longer than OpenAI's 64 characters are shortened by the adapter; its mapping
restores them in the answer. Thoughts become `thinking` blocks when the request enabled
thinking, and are left out otherwise (as Anthropic's API does).
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from litellm.llms.anthropic.pass_through.adapters.transformation import AnthropicAdapter
from litellm.types.utils import ModelResponse, ModelResponseStream

from proxy.anthropic.schema import CountTokensRequest
from proxy.chat.call import ChatCall
from proxy.chat.openai import ChatRequest
from proxy.core.errors import ProxyError

_ADAPTER = AnthropicAdapter()


@dataclass(frozen=True)
class ReplyShape:
    """What the answer to one request needs from the request."""

    tool_names: dict[str, str]
    """The adapter's shortened tool names -> the client's."""
    thinking: bool


def chat_call(request: CountTokensRequest) -> tuple[ChatCall, ReplyShape]:
    """The chat call for `request`, and how its answer is to be shaped."""
    kwargs, names = _ADAPTER.translate_completion_input_params_with_tool_mapping(
        request.adapter_kwargs()
    )
    call = ChatRequest.model_validate(kwargs).to_call()
    thinking = request.thinking is not None and request.thinking.type != "disabled"
    # Anthropic streams always end with the usage (`message_delta`).
    return replace(call, include_usage=True), ReplyShape(names, thinking)


def message_body(response: ModelResponse, model: str, shape: ReplyShape) -> dict[str, Any]:
    if not shape.thinking:
        message = response.choices[0].message
        message.reasoning_content = None
    body = _ADAPTER.translate_completion_output_params(response, shape.tool_names)
    assert body is not None
    # Anthropic's ids start with `msg_` (the adapter keeps the chat completion's).
    return {**body, "id": "msg_" + response.id.removeprefix("chatcmpl-"), "model": model}


async def message_events(
    stream: AsyncIterator[ModelResponseStream], model: str, shape: ReplyShape
) -> AsyncIterator[bytes]:
    """Anthropic's events for `stream`. A failure after the first chunk ends them with an `error`
    event of the failure's own type, in place of the closing events the adapter would add."""
    failure: ProxyError | None = None

    async def chunks() -> AsyncIterator[ModelResponseStream]:
        nonlocal failure
        try:
            async for chunk in stream if shape.thinking else _without_thoughts(stream):
                yield chunk
        except ProxyError as exc:  # kept from the adapter, which would type it a 500
            failure = exc

    events = _ADAPTER.translate_completion_output_params_streaming(
        chunks(), model=model, tool_name_mapping=shape.tool_names
    )
    assert isinstance(events, AsyncIterator)
    async for event in events:
        if failure is not None:
            break
        yield event
    if failure is not None:
        yield f"event: error\ndata: {json.dumps(failure.anthropic_body())}\n\n".encode()


async def _without_thoughts(
    stream: AsyncIterator[ModelResponseStream],
) -> AsyncIterator[ModelResponseStream]:
    async for chunk in stream:
        choice = chunk.choices[0] if chunk.choices else None
        if choice is not None and getattr(choice.delta, "reasoning_content", None):
            choice.delta.reasoning_content = None
            delta = choice.delta
            usage = getattr(chunk, "usage", None)
            if not (delta.content or delta.tool_calls or choice.finish_reason or usage):
                continue  # a chunk of thoughts alone
        yield chunk
