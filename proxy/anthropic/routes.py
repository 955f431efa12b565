"""Anthropic Messages: `POST /v1/messages` (whole or streamed) and `/v1/messages/count_tokens`.

What Claude-Code-style clients and the `anthropic` SDK send with `base_url` set to the proxy's
root. The key comes as `x-api-key` (see `proxy/core/auth.py`); errors are Anthropic's
`{"type": "error", "error": {...}}` (see `proxy/core/dialect.py`).
"""

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from proxy.anthropic.schema import CountTokensRequest, MessageAnswer, MessagesRequest
from proxy.anthropic.translate import chat_call, message_body, message_events
from proxy.core.auth import require_api_key
from proxy.deps import CallerDep, ChatDep

router = APIRouter(tags=["anthropic"], dependencies=[Depends(require_api_key)])


@router.post(
    "/v1/messages",
    response_model=None,
    responses={200: {"model": MessageAnswer, "description": "A message, or SSE events"}},
)
async def messages(
    body: MessagesRequest, caller: CallerDep, chat: ChatDep
) -> JSONResponse | StreamingResponse:
    call, shape = chat_call(body)
    if body.stream:
        stream = await chat.stream(caller, call)
        events = message_events(stream, caller.model, shape)
        return StreamingResponse(events, media_type="text/event-stream")
    response = await chat.complete(caller, call)
    return JSONResponse(message_body(response, caller.model, shape))


class TokenCount(BaseModel):
    input_tokens: int


@router.post("/v1/messages/count_tokens")
async def count_tokens(body: CountTokensRequest, caller: CallerDep, chat: ChatDep) -> TokenCount:
    """The estimate the usage block of an answer would start from (Gemini web counts none)."""
    call, _ = chat_call(body)
    return TokenCount(input_tokens=await chat.count_tokens(caller, call))
