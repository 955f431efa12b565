"""A provider plugin that answers at once: isolates the proxy's own cost in benchmarks.

Registered through config like any plugin: `litellm_settings.custom_provider_map:
[{provider: instant, custom_handler: benchmarks.instant_provider.InstantLLM}]`
"""

from collections.abc import AsyncIterator
from typing import Any

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import Delta, ModelResponse, ModelResponseStream, StreamingChoices, Usage

from .bare_app import ANSWER


class InstantLLM(CustomLLM):
    async def acompletion(  # type: ignore[override]
        self, model: str, model_response: ModelResponse, **kwargs: Any
    ) -> ModelResponse:
        model_response.choices[0].message.content = ANSWER  # type: ignore[union-attr]
        model_response.usage = Usage(prompt_tokens=3, completion_tokens=9, total_tokens=12)  # type: ignore[attr-defined]
        return model_response

    async def astreaming(self, model: str, **kwargs: Any) -> AsyncIterator[ModelResponseStream]:  # type: ignore[override]
        for word in ANSWER.split(" "):
            yield ModelResponseStream(
                model=model, choices=[StreamingChoices(index=0, delta=Delta(content=word + " "))]
            )
        yield ModelResponseStream(
            model=model, choices=[StreamingChoices(index=0, delta=Delta(), finish_reason="stop")]
        )
