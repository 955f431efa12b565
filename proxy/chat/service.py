"""Chat: admit the caller, ask the Router, hand back the model's answer (whole or streamed).

Dialects (OpenAI, Gemini native) translate their requests into a `ChatCall` before and shape
the answer after; everything between is here.
"""

from collections.abc import AsyncIterator

from litellm.types.utils import ModelResponse, ModelResponseStream

from proxy.chat.call import ChatCall
from proxy.core.admission import Admission, Caller
from proxy.core.models import ModelCatalog
from proxy.core.upstream import Upstream


class ChatService:
    def __init__(self, admission: Admission, models: ModelCatalog, upstream: Upstream) -> None:
        self.admission = admission
        self.models = models
        self.upstream = upstream

    async def admit(self, caller: Caller, call: ChatCall) -> str:
        """Admit `caller` for `call`; returns the public model it will be answered by."""
        model = self.models.resolve(call.model)
        await self.admission.admit(caller, model, call.prompt_chars())
        return model

    async def complete(self, caller: Caller, call: ChatCall) -> ModelResponse:
        model = await self.admit(caller, call)
        return await self.upstream.chat(call.router_kwargs(model, stream=False))

    async def stream(self, caller: Caller, call: ChatCall) -> AsyncIterator[ModelResponseStream]:
        """A stream whose first chunk has arrived: a failure before it raises here, so the
        client still gets a real HTTP status."""
        model = await self.admit(caller, call)
        return await self.upstream.chat_stream(call.router_kwargs(model, stream=True))
