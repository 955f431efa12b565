"""Responses: a chat turn that can continue a stored one, stored in turn.

The chat service does the work (admission first, then the Router); this service adds what the
Responses API has on top: the conversation of `previous_response_id`, the Response document
and events under our own `resp_` id and the public model, and storage (unless `store: false`).
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from litellm.types.utils import ModelResponseStream

from proxy.chat.service import ChatService
from proxy.core.admission import Caller
from proxy.core.errors import BadRequest, NotFound, ProxyError
from proxy.responses.schema import ResponsesRequest
from proxy.responses.store import ResponseStore
from proxy.responses.translate import (
    chat_call,
    reasoning_in_openai_shape,
    response_body,
    response_events,
)


class ResponsesService:
    def __init__(self, chat: ChatService, store: ResponseStore) -> None:
        self.chat = chat
        self.store = store

    async def create(self, caller: Caller, request: ResponsesRequest) -> dict[str, Any]:
        items = await self._conversation(request)
        response = await self.chat.complete(caller, chat_call(request, items))
        body = _as_ours(response_body(request, items, response), _new_id(), caller.model, request)
        if request.store:
            await self.store.save(body, [*items, *body.get("output", [])])
        return body

    async def stream(self, caller: Caller, request: ResponsesRequest) -> AsyncIterator[str]:
        """Server-sent events of a response whose first chunk has arrived (a failure before
        it raises here, with a real HTTP status)."""
        items = await self._conversation(request)
        chunks = await self.chat.stream(caller, chat_call(request, items))
        return self._events(request, items, chunks, caller.model)

    async def get(self, response_id: str) -> dict[str, Any]:
        body = await self.store.body(response_id)
        if body is None:
            raise NotFound(f"Response with id '{response_id}' not found.")
        return body

    async def delete(self, response_id: str) -> dict[str, Any]:
        if not await self.store.delete(response_id):
            raise NotFound(f"Response with id '{response_id}' not found.")
        return {"id": response_id, "object": "response.deleted", "deleted": True}

    async def forget_stored(self, before: datetime) -> int:
        """Stored responses created before `before`."""
        return await self.store.forget_before(before)

    async def _conversation(self, request: ResponsesRequest) -> list[Any]:
        previous = request.previous_response_id
        if previous is None:
            return request.input_items()
        earlier = await self.store.conversation(previous)
        if earlier is None:
            raise BadRequest(f"Previous response with id '{previous}' not found.")
        return [*earlier, *request.input_items()]

    async def _events(
        self,
        request: ResponsesRequest,
        items: list[Any],
        chunks: AsyncIterator[ModelResponseStream],
        model: str,
    ) -> AsyncIterator[str]:
        response_id = _new_id()
        sent = 0
        try:
            async for event in response_events(request, items, chunks, model):
                sent += 1
                document = event.get("response")
                if isinstance(document, dict):
                    _as_ours(reasoning_in_openai_shape(document), response_id, model, request)
                    if event["type"] == "response.completed" and request.store:
                        await self.store.save(document, [*items, *document.get("output", [])])
                yield _sse(event)
        except ProxyError as exc:
            # Content has been sent already: the status is 200, so report in-band and end.
            error = exc.openai_body()["error"]
            # The body's own `type` (e.g. rate_limit_error) must not replace the event's.
            yield _sse({**error, "type": "error", "sequence_number": sent + 1})


def _new_id() -> str:
    return f"resp_{uuid.uuid4().hex}"


def _as_ours(
    body: dict[str, Any], response_id: str, model: str, request: ResponsesRequest
) -> dict[str, Any]:
    body.update(id=response_id, model=model, store=request.store)
    body["previous_response_id"] = request.previous_response_id
    return body


def _sse(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
