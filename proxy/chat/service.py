"""Chat: admit the caller, ask the Router, hand back the model's answer (whole or streamed).

Dialects (OpenAI, Gemini native) translate their requests into a `ChatCall` before and shape
the answer after; everything between is here.
"""

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

from litellm.types.utils import ModelResponse, ModelResponseStream

from providers.gemini_web import prompt_tokens
from proxy.chat.call import ChatCall
from proxy.core.admission import Admission, Caller
from proxy.core.errors import BadRequest
from proxy.core.models import ModelCatalog
from proxy.core.upstream import Upstream

logger = logging.getLogger(__name__)


class ChatService:
    def __init__(self, admission: Admission, models: ModelCatalog, upstream: Upstream) -> None:
        self.admission = admission
        self.models = models
        self.upstream = upstream

    async def admit(self, caller: Caller, call: ChatCall, *, upstream: bool = True) -> str:
        """Admit `caller` for `call`; returns the public model it will be answered by."""
        model = self.models.resolve(call.model)
        await self.admission.admit(caller, model, call.prompt_chars(), upstream=upstream)
        return model

    async def count_tokens(self, caller: Caller, call: ChatCall) -> int:
        """The prompt tokens the usage block of an answer to `call` would report (an
        estimate: Gemini web counts none). Asks Gemini web nothing."""
        model = await self.admit(caller, call, upstream=False)
        try:
            return prompt_tokens(call.messages, call.router_kwargs(model, stream=False))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    async def complete(self, caller: Caller, call: ChatCall) -> ModelResponse:
        model = await self.admit(caller, call)
        response = await self.upstream.chat(call.router_kwargs(model, stream=False))
        if call.json_answer is None:
            return response
        return await self._as_json(call, model, response)

    async def _as_json(self, call: ChatCall, model: str, response: ModelResponse) -> ModelResponse:
        """The reply as the JSON alone; one correction round when it is not what was asked
        (after it, the best the model gave: the client's own parser reports what is wrong)."""
        assert call.json_answer is not None
        message = response.choices[0].message
        if message.tool_calls:
            return response
        text, problem = call.json_answer.read(message.content or "")
        if problem is not None:
            turns = call.json_answer.correction(message.content or "", problem)
            retry = replace(call, messages=[*call.messages, *turns])
            response = await self.upstream.chat(retry.router_kwargs(model, stream=False))
            message = response.choices[0].message
            text, problem = call.json_answer.read(message.content or "")
            if problem is not None:
                logger.warning("JSON answer of %s still unusable after a correction", model)
        message.content = text
        return response

    async def stream(self, caller: Caller, call: ChatCall) -> AsyncIterator[ModelResponseStream]:
        """A stream whose first chunk has arrived: a failure before it raises here, so the
        client still gets a real HTTP status."""
        model = await self.admit(caller, call)
        return await self.upstream.chat_stream(call.router_kwargs(model, stream=True))
