"""OpenAI-compatible text routes: chat completions (plain and streamed) and simple generate."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from proxy.chat.openai import ChatRequest, SseEncoder, completion_body, router_request
from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest, ProxyError
from proxy.deps import ServicesDep
from proxy.services import Services

router = APIRouter(tags=["openai"], dependencies=[Depends(require_api_key)])


async def _sse(services: Services, request: dict[str, Any], model: str) -> AsyncIterator[str]:
    stream = await services.upstream.chat_stream(request)
    encoder = SseEncoder(model)

    async def events() -> AsyncIterator[str]:
        try:
            async for chunk in stream:
                yield encoder.chunk(chunk)
        except ProxyError as exc:
            # Content has been sent already: the status is 200, so report in-band and end.
            yield encoder.error(exc.openai_body())
        yield SseEncoder.DONE

    return events()


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(chat: ChatRequest, http: Request, services: ServicesDep) -> Any:
    model = services.model_for(chat.model)
    services.check_prompt_size(chat.prompt_chars())
    services.admit(http, model)
    request = router_request(chat, model)
    if chat.stream:
        events = await _sse(services, request, model)
        return StreamingResponse(events, media_type="text/event-stream")
    response = await services.upstream.chat(request)
    return completion_body(response, model)


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1)
    model: str | None = None


@router.post("/v1/generate")
async def generate(body: GenerateRequest, http: Request, services: ServicesDep) -> dict[str, Any]:
    if not body.prompt.strip():
        raise BadRequest("prompt must not be empty")
    model = services.model_for(body.model)
    services.check_prompt_size(len(body.prompt))
    services.admit(http, model)
    response = await services.upstream.chat(
        {"model": model, "messages": [{"role": "user", "content": body.prompt}]}
    )
    message = response.choices[0].message  # type: ignore[union-attr]
    result = {"text": message.content or "", "model": model}
    thoughts = getattr(message, "reasoning_content", None)
    if thoughts:
        result["thoughts"] = thoughts
    return result
