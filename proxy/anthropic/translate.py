"""Anthropic Messages <-> the chat service, through litellm's Anthropic adapter.

In: the adapter turns the (validated) request into OpenAI chat kwargs, which then pass the
OpenAI route's own validation and allow-list (`ChatRequest.to_call`). Out: the adapter turns a
chat response into a Message, and a chat stream into Anthropic's server-sent events
(`message_start`, `content_block_*`, `message_delta`, `message_stop`).

Tool names longer than OpenAI's 64 characters are shortened by the adapter; its mapping
restores them in the answer.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from litellm.llms.anthropic.pass_through.adapters.transformation import AnthropicAdapter
from litellm.types.utils import ModelResponse, ModelResponseStream

from proxy.anthropic.schema import CountTokensRequest
from proxy.chat.call import ChatCall
from proxy.chat.openai import ChatRequest

_ADAPTER = AnthropicAdapter()


def chat_call(request: CountTokensRequest) -> tuple[ChatCall, dict[str, str]]:
    """The chat call for `request`, and the adapter's tool name mapping."""
    kwargs, names = _ADAPTER.translate_completion_input_params_with_tool_mapping(
        request.adapter_kwargs()
    )
    call = ChatRequest.model_validate(kwargs).to_call()
    # Anthropic streams always end with the usage (`message_delta`).
    return replace(call, include_usage=True), names


def message_body(response: ModelResponse, model: str, names: dict[str, str]) -> dict[str, Any]:
    body = _ADAPTER.translate_completion_output_params(response, names)
    assert body is not None
    return {**body, "model": model}


def message_events(
    stream: AsyncIterator[ModelResponseStream], model: str, names: dict[str, str]
) -> AsyncIterator[bytes]:
    events = _ADAPTER.translate_completion_output_params_streaming(
        stream, model=model, tool_name_mapping=names
    )
    assert isinstance(events, AsyncIterator)
    return events
