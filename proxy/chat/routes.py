"""OpenAI-compatible text routes: chat completions (plain and streamed) and simple generate."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from litellm.types.utils import ModelResponseStream
from pydantic import BaseModel, Field

from proxy.chat.call import ChatCall
from proxy.chat.openai import ChatRequest, SseEncoder, completion_body
from proxy.chat.schema import ChatCompletion, GenerateAnswer
from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest, ProxyError
from proxy.deps import CallerDep, ChatDep

router = APIRouter(tags=["openai"], dependencies=[Depends(require_api_key)])


async def _sse(
    stream: AsyncIterator[ModelResponseStream], encoder: SseEncoder
) -> AsyncIterator[str]:
    try:
        async for chunk in stream:
            yield encoder.chunk(chunk)
    except ProxyError as exc:
        # Content has been sent already: the status is 200, so report in-band and end.
        yield encoder.error(exc.openai_body())
    yield SseEncoder.DONE


@router.post(
    "/v1/chat/completions",
    response_model=None,
    responses={200: {"model": ChatCompletion, "description": "A completion, or SSE chunks"}},
)
async def chat_completions(
    body: ChatRequest, caller: CallerDep, chat: ChatDep
) -> JSONResponse | StreamingResponse:
    call = body.to_call()
    if body.stream:
        stream = await chat.stream(caller, call)
        encoder = SseEncoder(caller.model, body.legacy_functions)
        return StreamingResponse(_sse(stream, encoder), media_type="text/event-stream")
    response = await chat.complete(caller, call)
    return JSONResponse(completion_body(response, caller.model, body.legacy_functions))


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1)
    model: str | None = None


@router.post("/v1/generate", response_model_exclude_none=True)
async def generate(body: GenerateRequest, caller: CallerDep, chat: ChatDep) -> GenerateAnswer:
    if not body.prompt.strip():
        raise BadRequest("prompt must not be empty")
    call = ChatCall(messages=[{"role": "user", "content": body.prompt}], model=body.model)
    response = await chat.complete(caller, call)
    message: Any = response.choices[0].message
    thoughts = getattr(message, "reasoning_content", None)
    return GenerateAnswer(text=message.content or "", model=caller.model, thoughts=thoughts or None)
