"""Responses <-> the chat service, through litellm's Responses bridge (the one litellm uses
for providers without a Responses API).

In: the bridge turns input items, instructions and tools into OpenAI chat kwargs, which then
pass the OpenAI route's own validation and allow-list (`ChatRequest.to_call`). Out: the bridge
turns a chat response into a Response document, and a chat stream into Response events.

Only the bridge's translations and stream iterator are used, not `litellm.aresponses` /
`Router.aresponses`: in litellm 1.106 those import the optional `mcp` package as soon as a
request carries tools (`No module named 'mcp'`), and they would reach the Router past the chat
service's admission.

What it cannot do here: Gemini web has no server-side tools (web/file search, code
interpreter), no `file_id` inputs, and no encrypted reasoning to replay; `include`,
`truncation` and `background` are ignored.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from litellm.responses.litellm_completion_transformation.streaming_iterator import (
    LiteLLMCompletionStreamingIterator,
)
from litellm.responses.litellm_completion_transformation.transformation import (
    LiteLLMCompletionResponsesConfig as Bridge,
)
from litellm.types.utils import ModelResponse, ModelResponseStream

from proxy.chat.call import ChatCall
from proxy.chat.openai import ChatRequest
from proxy.responses.schema import ResponsesRequest

# What the chat route takes from the bridge's kwargs; the rest (metadata, user...) stays out.
_CHAT_FIELDS = ("messages", "tools", "tool_choice", "parallel_tool_calls", "temperature",
                "top_p", "max_tokens", "response_format", "reasoning_effort")  # fmt: skip


def chat_call(request: ResponsesRequest, items: list[Any]) -> ChatCall:
    """The chat call that answers `items` (the conversation so far, then this input)."""
    kwargs = Bridge.transform_responses_api_request_to_chat_completion_request(
        model=request.model or "", input=items, responses_api_request=request.bridge_params()
    )
    chat = {name: kwargs[name] for name in _CHAT_FIELDS if name in kwargs}
    call = ChatRequest.model_validate({"model": request.model, **chat}).to_call()
    # Response streams end with the usage (`response.completed`).
    return replace(call, include_usage=True)


def response_body(
    request: ResponsesRequest, items: list[Any], response: ModelResponse
) -> dict[str, Any]:
    document = Bridge.transform_chat_completion_response_to_responses_api_response(
        request_input=items,
        responses_api_request=request.bridge_params(),
        chat_completion_response=response,
    )
    return reasoning_in_openai_shape(document.model_dump(mode="json", exclude_none=True))


def reasoning_in_openai_shape(document: dict[str, Any]) -> dict[str, Any]:
    """Reasoning items as OpenAI writes them: the bridge leaves `summary` empty and calls the
    thoughts `output_text`; clients show the summary and read `reasoning_text`."""
    for item in document.get("output", []):
        if item.get("type") != "reasoning":
            continue
        content = item.get("content") or []
        for part in content:
            if part.get("type") == "output_text":
                part["type"] = "reasoning_text"
                part.pop("annotations", None)
        if not item.get("summary"):
            texts = [part.get("text", "") for part in content]
            item["summary"] = [{"type": "summary_text", "text": t} for t in texts if t]
    return document


class _Chunks:
    """A chat stream as the bridge's stream iterator reads it (litellm's stream wrapper)."""

    logging_obj = None

    def __init__(self, stream: AsyncIterator[ModelResponseStream]) -> None:
        self._stream = stream

    def __aiter__(self) -> "_Chunks":
        return self

    async def __anext__(self) -> ModelResponseStream:
        return await anext(self._stream)


async def response_events(
    request: ResponsesRequest,
    items: list[Any],
    stream: AsyncIterator[ModelResponseStream],
    model: str,
) -> AsyncIterator[dict[str, Any]]:
    events = LiteLLMCompletionStreamingIterator(
        model=model,
        litellm_custom_stream_wrapper=_Chunks(stream),
        request_input=items,
        responses_api_request=request.bridge_params(),
    )
    async for event in events:
        yield event.model_dump(mode="json", exclude_none=True)
