"""The `gemini-web` provider: a litellm `CustomLLM` over `gemini_webapi`.

Deployment params (`litellm_params` in config.yaml) it reads: `account` (name of a configured
account; optional with a single account) and `web_model` (the Gemini web model to ask).
"""

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemini_webapi import GeminiClient
from gemini_webapi.types import AvailableModel, ModelOutput
from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import Delta, ModelResponse, ModelResponseStream, StreamingChoices, Usage

from .accounts import Account, AccountPool
from .attachments import attachment_files
from .errors import GeminiWebError, map_exception
from .models import resolve_web_model
from .prompt import Prompt, PromptError, build_prompt


def _tokens(text: str) -> int:
    """A rough token count: Gemini web reports none, and clients expect a usage block."""
    return math.ceil(len(text) / 4)


def _usage(prompt: str, completion: str) -> Usage:
    p, c = _tokens(prompt), _tokens(completion)
    return Usage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c)


@dataclass
class _Turn:
    prompt: Prompt
    account: Account
    client: GeminiClient
    web_model: AvailableModel | None
    files: list[Path]

    def generate_kwargs(self, temporary: bool) -> dict[str, Any]:
        # current_retry=0: the library's own retries sleep 5..25 s and re-init; ours apply instead.
        return {
            "files": self.files or None,
            "model": self.web_model,
            "temporary": temporary,
            "current_retry": 0,
        }


class GeminiWebLLM(CustomLLM):
    def __init__(self, accounts: AccountPool) -> None:
        super().__init__()
        self.accounts = accounts

    @asynccontextmanager
    async def _turn(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> AsyncIterator[_Turn]:
        """Everything one generation needs; failures leave as `GeminiWebError`."""
        try:
            prompt = build_prompt(messages)
        except PromptError as exc:
            raise GeminiWebError(400, str(exc), reason="bad_request") from None
        account = self.accounts.get(params.get("account"))
        client = await account.client()
        web_model = resolve_web_model(client, params.get("web_model"), model)
        limit = self.accounts.options.max_attachment_bytes
        async with attachment_files(prompt.attachments, limit) as files:
            yield _Turn(prompt, account, client, web_model, files)

    def _fail(self, exc: Exception, model: str, account: Account | None) -> GeminiWebError:
        error = map_exception(exc, model)
        if account is not None and not isinstance(exc, GeminiWebError):
            account.record_failure(error)
        return error

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        model_response: ModelResponse,
        optional_params: dict,
        logging_obj: Any = None,
        **kwargs: Any,
    ) -> ModelResponse:
        options = self.accounts.options
        turn = None
        try:
            async with (
                asyncio.timeout(options.request_timeout),
                self._turn(model, messages, optional_params) as turn,
            ):
                if logging_obj is not None:
                    logging_obj.pre_call(input=turn.prompt.text, api_key="")
                output = await turn.client.generate_content(
                    turn.prompt.text, **turn.generate_kwargs(options.temporary_chats)
                )
        except Exception as exc:
            raise self._fail(exc, model, turn.account if turn else None) from None
        return self._fill_response(model_response, model, turn.prompt.text, output)

    @staticmethod
    def _fill_response(
        response: ModelResponse, model: str, prompt: str, output: ModelOutput
    ) -> ModelResponse:
        message = response.choices[0].message  # type: ignore[union-attr]
        message.content = output.text
        if output.thoughts:
            message.reasoning_content = output.thoughts  # type: ignore[attr-defined]
        response.choices[0].finish_reason = "stop"
        response.model = model
        response.created = int(time.time())
        response.usage = _usage(prompt, output.text)  # type: ignore[attr-defined]
        return response

    async def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        optional_params: dict,
        logging_obj: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ModelResponseStream]:
        options = self.accounts.options
        turn = None
        text = ""
        try:
            deadline = asyncio.get_running_loop().time() + options.request_timeout
            async with self._turn(model, messages, optional_params) as turn:
                if logging_obj is not None:
                    logging_obj.pre_call(input=turn.prompt.text, api_key="")
                stream = turn.client.generate_content_stream(
                    turn.prompt.text, **turn.generate_kwargs(options.temporary_chats)
                )
                while True:
                    left = min(options.idle_timeout, deadline - asyncio.get_running_loop().time())
                    try:
                        output = await asyncio.wait_for(anext(stream), max(left, 0))
                    except StopAsyncIteration:
                        break
                    delta = Delta(content=output.text_delta or None)
                    if output.thoughts_delta:
                        delta.reasoning_content = output.thoughts_delta  # type: ignore[attr-defined]
                    text += output.text_delta
                    if delta.content or output.thoughts_delta:
                        yield ModelResponseStream(
                            model=model, choices=[StreamingChoices(index=0, delta=delta)]
                        )
        except Exception as exc:
            raise self._fail(exc, model, turn.account if turn else None) from None
        yield ModelResponseStream(
            model=model,
            choices=[StreamingChoices(index=0, delta=Delta(), finish_reason="stop")],
            usage=_usage(turn.prompt.text, text),
        )
