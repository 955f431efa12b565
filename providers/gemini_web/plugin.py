"""The `gemini-web` provider: a litellm `CustomLLM` over `gemini_webapi`.

Deployment params (`litellm_params` in config.yaml) it reads: `account` (name of a configured
account; optional with a single account) and `web_model` (the Gemini web model to ask).
Request param: `extended_thinking` (Gemini web's extended thinking mode; the proxy sets it when
a client asks for reasoning).
"""

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gemini_webapi import GeminiClient
from gemini_webapi.types import AvailableModel, ModelOutput
from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import (
    ChatCompletionDeltaToolCall,
    ChatCompletionMessageToolCall,
    Delta,
    ImageObject,
    ImageResponse,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
)

from .accounts import Account, AccountPool
from .attachments import attachment_files
from .deadline import within
from .errors import GeminiWebError, map_exception
from .gate import AccountGate, OpenGate
from .images import download_images, image_prompt, sniff_mime
from .models import resolve_web_model
from .prompt import Attachment, Prompt, PromptError, build_prompt
from .tools import ReplyFilter, ToolError, ToolSpec, split_reply
from .usage import usage

T = TypeVar("T")


@dataclass
class _Turn:
    prompt: Prompt
    account: Account
    client: GeminiClient
    web_model: AvailableModel | None
    files: list[Path]
    tools: ToolSpec | None
    extended_thinking: bool

    def generate_kwargs(self, temporary: bool) -> dict[str, Any]:
        # current_retry=0: the library's own retries sleep 5..25 s and re-init; ours apply instead.
        return {
            "files": self.files or None,
            "model": self.web_model,
            "temporary": temporary,
            "extended_thinking": self.extended_thinking,
            "current_retry": 0,
        }


class GeminiWebLLM(CustomLLM):
    def __init__(self, accounts: AccountPool, gate: AccountGate | None = None) -> None:
        super().__init__()
        self.accounts = accounts
        self.gate = gate or OpenGate()

    @asynccontextmanager
    async def _turn(
        self,
        model: str,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        extra_files: list[Attachment] | None = None,
    ) -> AsyncIterator[_Turn]:
        """Everything one generation needs; failures leave as `GeminiWebError`."""
        try:
            tools = ToolSpec.from_params(params)
            prompt = build_prompt(messages, tools)
        except (PromptError, ToolError) as exc:
            raise GeminiWebError(400, str(exc), reason="bad_request") from None
        prompt.attachments.extend(extra_files or [])
        account = self.accounts.get(params.get("account"))
        client = await account.client()
        try:
            web_model = resolve_web_model(client, params.get("web_model"), model)
        except GeminiWebError as exc:
            account.record_failure(exc)
            raise
        limit = self.accounts.options.max_attachment_bytes
        async with (
            attachment_files(prompt.attachments, limit) as files,
            self.gate.hold(account.name),
        ):
            thinking = bool(params.get("extended_thinking"))
            yield _Turn(prompt, account, client, web_model, files, tools, thinking)

    def _fail(self, exc: Exception, model: str, account: Account | None) -> GeminiWebError:
        error = map_exception(exc, model)
        if account is not None and not isinstance(exc, GeminiWebError):
            account.record_failure(error)
        return error

    async def _generate(
        self,
        model: str,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        logging_obj: Any,
        extra_files: list[Attachment] | None = None,
        then: Callable[[_Turn, ModelOutput], Awaitable[T]] | None = None,
    ) -> tuple[_Turn, ModelOutput, T | None]:
        """One generation, not streamed, under the request timeout; `then` runs within it
        while the account's session is live (image downloads)."""
        options = self.accounts.options
        clock = asyncio.get_running_loop()
        deadline = clock.time() + options.request_timeout
        turn = None
        try:
            async with self._turn(model, messages, params, extra_files) as turn:
                if logging_obj is not None:
                    logging_obj.pre_call(input=turn.prompt.text, api_key="")
                output = await within(
                    turn.client.generate_content(
                        turn.prompt.text, **turn.generate_kwargs(options.temporary_chats)
                    ),
                    deadline - clock.time(),
                )
                extra = await within(then(turn, output), deadline - clock.time()) if then else None
        except Exception as exc:
            raise self._fail(exc, model, turn.account if turn else None) from None
        return turn, output, extra

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list,
        model_response: ModelResponse,
        optional_params: dict,
        logging_obj: Any = None,
        **kwargs: Any,
    ) -> ModelResponse:
        turn, output, _ = await self._generate(model, messages, optional_params, logging_obj)
        return self._fill_response(model_response, model, turn, output)

    @staticmethod
    def _fill_response(
        response: ModelResponse, model: str, turn: _Turn, output: ModelOutput
    ) -> ModelResponse:
        text, calls = split_reply(output.text, turn.tools) if turn.tools else (output.text, [])
        message = response.choices[0].message  # type: ignore[union-attr]
        message.content = text or (None if calls else "")
        if calls:
            message.tool_calls = [ChatCompletionMessageToolCall(**c.openai()) for c in calls]
        if output.thoughts:
            message.reasoning_content = output.thoughts  # type: ignore[attr-defined]
        response.choices[0].finish_reason = "tool_calls" if calls else "stop"
        response.model = model
        response.created = int(time.time())
        response.usage = usage(turn.prompt.text, output.text)  # type: ignore[attr-defined]
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
        reply: ReplyFilter | None = None
        try:
            deadline = asyncio.get_running_loop().time() + options.request_timeout
            async with self._turn(model, messages, optional_params) as turn:
                reply = ReplyFilter(turn.tools) if turn.tools else None
                if logging_obj is not None:
                    logging_obj.pre_call(input=turn.prompt.text, api_key="")
                stream = turn.client.generate_content_stream(
                    turn.prompt.text, **turn.generate_kwargs(options.temporary_chats)
                )
                while True:
                    left = min(options.idle_timeout, deadline - asyncio.get_running_loop().time())
                    try:
                        output = await within(anext(stream), left)
                    except StopAsyncIteration:
                        break
                    text += output.text_delta
                    shown = reply.feed(output.text_delta) if reply else output.text_delta
                    # Thoughts and text in chunks of their own, thoughts first: adapters that
                    # open one content block per kind (Anthropic's) read one kind per chunk.
                    if output.thoughts_delta:
                        delta = Delta()
                        delta.reasoning_content = output.thoughts_delta  # type: ignore[attr-defined]
                        yield ModelResponseStream(
                            model=model, choices=[StreamingChoices(index=0, delta=delta)]
                        )
                    if shown:
                        yield ModelResponseStream(
                            model=model,
                            choices=[StreamingChoices(index=0, delta=Delta(content=shown))],
                        )
        except Exception as exc:
            raise self._fail(exc, model, turn.account if turn else None) from None
        rest, calls = reply.finish() if reply else ("", [])
        if rest or calls:
            # Calls are known only once the reply is complete: they go out as one last delta.
            tool_calls = [
                ChatCompletionDeltaToolCall(index=i, **c.openai()) for i, c in enumerate(calls)
            ]
            delta = Delta(content=rest or None, tool_calls=tool_calls or None)
            yield ModelResponseStream(model=model, choices=[StreamingChoices(index=0, delta=delta)])
        yield ModelResponseStream(
            model=model,
            choices=[
                StreamingChoices(
                    index=0, delta=Delta(), finish_reason="tool_calls" if calls else "stop"
                )
            ],
            usage=usage(turn.prompt.text, text),
        )

    async def aimage_generation(  # type: ignore[override]
        self,
        model: str,
        prompt: str,
        model_response: ImageResponse,
        optional_params: dict,
        logging_obj: Any = None,
        **kwargs: Any,
    ) -> ImageResponse:
        return await self._draw(model, prompt, [], model_response, optional_params, logging_obj)

    async def aimage_edit(  # type: ignore[override]
        self,
        model: str,
        image: Any,
        prompt: str | None,
        model_response: ImageResponse,
        optional_params: dict,
        logging_obj: Any = None,
        **kwargs: Any,
    ) -> ImageResponse:
        images = image if isinstance(image, list) else [image]
        references = [Attachment(sniff_mime(data), data=data) for data in map(_as_bytes, images)]
        return await self._draw(
            model, prompt or "", references, model_response, optional_params, logging_obj
        )

    async def _draw(
        self,
        model: str,
        prompt: str,
        references: list[Attachment],
        response: ImageResponse,
        params: dict[str, Any],
        logging_obj: Any,
    ) -> ImageResponse:
        if not prompt.strip():
            raise GeminiWebError(400, "prompt must not be empty", reason="bad_request")
        text = image_prompt(prompt, bool(references), params.get("image_hint"))
        messages = [{"role": "user", "content": text}]
        _, output, pictures = await self._generate(
            model, messages, params, logging_obj, references,
            lambda turn, output: download_images(turn.client, output),
        )  # fmt: skip
        revised = output.text.strip() or None
        response.data = [
            ImageObject(b64_json=base64.b64encode(p).decode(), revised_prompt=revised)
            for p in pictures or []
        ]
        response.created = int(time.time())
        return response


def _as_bytes(image: Any) -> bytes:
    if isinstance(image, bytes):
        return image
    if hasattr(image, "read"):
        return bytes(image.read())
    raise GeminiWebError(400, "reference image must be bytes or a file", reason="bad_request")
