"""The `gemini-web` provider: a litellm `CustomLLM` over `gemini_webapi`.

Deployment params (`litellm_params` in config.yaml) it reads: `account` (name of a configured
account; optional with a single account) and `web_model` (the Gemini web model to ask).
Request param: `extended_thinking` (Gemini web's extended thinking mode; the proxy sets it when
a client asks for reasoning).
"""

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
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
from .deadline import Inflight, LoopTimer, Timer
from .errors import GeminiWebError, map_exception
from .fetch import SafeFetcher
from .gate import AccountGate, OpenGate, enter_gate
from .images import download_images, image_prompt, sniff_mime
from .models import resolve_web_model
from .prompt import Attachment, Prompt, PromptError, build_prompt
from .states import COOLING_REASONS
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
    inflight: Inflight
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
    def __init__(
        self, accounts: AccountPool, gate: AccountGate | None = None, clock: Timer | None = None
    ) -> None:
        """`clock` times requests and idle streams (default: the event loop's time)."""
        super().__init__()
        self.accounts = accounts
        self.gate = gate or OpenGate()
        self.clock: Timer = clock or LoopTimer()
        options = accounts.options
        self.fetcher = SafeFetcher(options.url_fetch, options.max_attachment_bytes)
        # Slots waiting for abandoned upstream calls to end (kept referenced until then).
        self._releases: set[asyncio.Task[None]] = set()

    @staticmethod
    def _prepare(
        messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[Prompt, ToolSpec | None]:
        """The prompt and tools of a request, the same for whichever account serves it."""
        try:
            tools = ToolSpec.from_params(params)
            prompt = build_prompt(messages, tools)
        except (PromptError, ToolError) as exc:
            raise GeminiWebError(400, str(exc), reason="bad_request") from None
        if not prompt.text.strip():
            raise GeminiWebError(400, "The prompt is empty", reason="bad_prompt")
        return prompt, tools

    def _deadline(self, params: dict[str, Any]) -> float:
        """When this call must have ended (loop time): `request_timeout` from now, or sooner
        when the caller has less left (`time_left`, the request's retries included)."""
        seconds = self.accounts.options.request_timeout
        time_left = params.get("time_left")
        if isinstance(time_left, int | float):
            seconds = min(seconds, time_left)
        return self.clock.now() + seconds

    def _next_account(
        self, params: dict[str, Any], tried: set[str], last: GeminiWebError | None
    ) -> Account:
        """The next account to try: least recently used among the ready ones not tried yet.
        When none is left, why: the last account's answer if it simply does not publish the
        model, else 429 until the earliest reset or 503."""
        pinned = params.get("account")
        account = self.accounts.choose(pinned, tried)
        if account is not None:
            tried.add(account.name)
            return account
        if last is not None and last.reason == "model_unmapped":
            raise last
        raise self.accounts.unavailable(pinned)

    def _moves_on(self, account: Account, error: GeminiWebError) -> bool:
        """Whether a request that failed on `account` should try another one: the account
        left rotation (usage limit, block, rejected cookies) or does not publish the model."""
        if error.reason == "model_unmapped":
            return True
        if account.state.usable(self.accounts.now()):
            return False
        account.state.failovers += 1
        return True

    @asynccontextmanager
    async def _turn(
        self,
        model: str,
        prompt: Prompt,
        tools: ToolSpec | None,
        params: dict[str, Any],
        account: Account,
        deadline: float,
        files: list[Path],
    ) -> AsyncIterator[_Turn]:
        """One generation on `account` within the account's gate (its session's start too,
        when it needs one), by `deadline` (loop time); failures leave as `GeminiWebError`."""
        exit_signal = account.exit_signal()  # taken before any wait, so no exit is missed
        options = self.accounts.options
        gate = self.gate.hold(account.name)
        try:
            await enter_gate(gate, exit_signal, deadline - self.clock.now())
        except GeminiWebError as refused:
            if refused.reason in COOLING_REASONS:  # another replica's cooldown
                account.record_failure(refused)
            raise
        try:
            client = await account.client(timeout=deadline - self.clock.now())
            web_model = self._web_model(client, params, model, account)
        except Exception as exc:
            error = self._fail(exc, model, account)
            await gate.__aexit__(type(error), error, None)
            raise error from None
        except BaseException as exc:
            await gate.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        inflight = Inflight(options.abandon_grace, client.close, self.clock)
        try:
            thinking = bool(params.get("extended_thinking"))
            yield _Turn(prompt, account, client, web_model, files, tools, inflight, thinking)
        except Exception as exc:
            # Mapped before it leaves the gate, which paces on its status.
            error = self._fail(exc, model, account)
            await self._leave(gate, inflight, error)
            raise error from None
        except BaseException as exc:
            if not await self._leave(gate, inflight, exc):
                raise
        else:
            await self._leave(gate, inflight, None)
            account.succeeded()

    @staticmethod
    def _web_model(
        client: GeminiClient, params: dict[str, Any], model: str, account: Account
    ) -> AvailableModel | None:
        try:
            return resolve_web_model(client, params.get("web_model"), model)
        except GeminiWebError as exc:
            account.record_failure(exc)
            raise

    async def _leave(
        self, gate: AbstractAsyncContextManager[None], inflight: Inflight, exc: BaseException | None
    ) -> bool | None:
        """Leave the gate now, or once the upstream calls the turn gave up on have ended: the
        slot is held for as long as Gemini web still serves the account's request."""
        error = (type(exc), exc, exc.__traceback__) if exc is not None else (None, None, None)
        if inflight.settled:
            return await gate.__aexit__(*error)

        async def release() -> None:
            await inflight.settle()
            with contextlib.suppress(Exception):
                await gate.__aexit__(*error)

        task = asyncio.create_task(release())
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)
        return False

    def _fail(self, exc: Exception, model: str, account: Account | None) -> GeminiWebError:
        error = map_exception(exc, model)
        if account is None or isinstance(exc, GeminiWebError):
            return error
        if account.record_failure(error) and account.state.until is not None:
            # The account's own cooldown, for clients and for the replicas' shared cooldown.
            left = account.state.until - self.accounts.now()
            error.headers["retry-after"] = str(max(1, round(left)))
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
        while the account's session is live (image downloads). An account that leaves
        rotation on the way hands the request to the next one."""
        options = self.accounts.options
        deadline = self._deadline(params)
        prompt, tools = self._prepare(messages, params)
        prompt.attachments.extend(extra_files or [])
        tried: set[str] = set()
        last: GeminiWebError | None = None
        # Written once for the request: every account tried uploads the same files.
        async with attachment_files(prompt.attachments, self.fetcher) as files:
            while True:
                account = self._next_account(params, tried, last)
                try:
                    async with self._turn(
                        model, prompt, tools, params, account, deadline, files
                    ) as turn:
                        if logging_obj is not None:
                            logging_obj.pre_call(input=turn.prompt.text, api_key="")
                        output = await turn.inflight.within(
                            turn.client.generate_content(
                                turn.prompt.text, **turn.generate_kwargs(options.temporary_chats)
                            ),
                            deadline - self.clock.now(),
                        )
                        extra = (
                            await turn.inflight.within(
                                then(turn, output), deadline - self.clock.now()
                            )
                            if then
                            else None
                        )
                    return turn, output, extra
                except Exception as exc:
                    last = self._fail(exc, model, account)
                    if not self._moves_on(account, last):
                        raise last from None

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list[Any],
        model_response: ModelResponse,
        optional_params: dict[str, Any],
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
        message = response.choices[0].message
        message.content = text or (None if calls else "")
        if calls:
            message.tool_calls = [ChatCompletionMessageToolCall(**c.openai()) for c in calls]
        if output.thoughts:
            message.reasoning_content = output.thoughts
        response.choices[0].finish_reason = "tool_calls" if calls else "stop"
        response.model = model
        response.created = int(time.time())
        response.usage = usage(turn.prompt.text, output.text)  # type: ignore[attr-defined]
        return response

    async def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list[Any],
        optional_params: dict[str, Any],
        logging_obj: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ModelResponseStream]:
        options = self.accounts.options
        deadline = self._deadline(optional_params)
        prompt, tools = self._prepare(messages, optional_params)
        tried: set[str] = set()
        last: GeminiWebError | None = None
        # Written once for the request: every account tried uploads the same files.
        async with attachment_files(prompt.attachments, self.fetcher) as files:
            while True:
                account = self._next_account(optional_params, tried, last)
                text = ""
                reply = ReplyFilter(tools) if tools else None
                sent = False
                try:
                    async with self._turn(
                        model, prompt, tools, optional_params, account, deadline, files
                    ) as turn:
                        if logging_obj is not None:
                            logging_obj.pre_call(input=turn.prompt.text, api_key="")
                        stream = turn.client.generate_content_stream(
                            turn.prompt.text, **turn.generate_kwargs(options.temporary_chats)
                        )
                        finished = False
                        try:
                            while True:
                                left = min(options.idle_timeout, deadline - self.clock.now())
                                try:
                                    output = await turn.inflight.within(anext(stream), left)
                                except StopAsyncIteration:
                                    finished = True
                                    break
                                text += output.text_delta
                                for delta in self._deltas(output, reply):
                                    sent = True
                                    yield ModelResponseStream(
                                        model=model,
                                        choices=[StreamingChoices(index=0, delta=delta)],
                                    )
                        finally:
                            if not finished:  # timed out, failed, or the client went away
                                turn.inflight.close_stream(stream)
                    break
                except Exception as exc:
                    last = self._fail(exc, model, account)
                    # Another account may take over only while the client has seen nothing.
                    if sent or not self._moves_on(account, last):
                        raise last from None
        rest, calls = reply.finish() if reply else ("", [])
        if rest or calls:
            # Calls are known only once the reply is complete: they go out as one last delta.
            tool_calls = [
                ChatCompletionDeltaToolCall(index=i, **c.openai()) for i, c in enumerate(calls)
            ]
            delta = Delta(content=rest or None, tool_calls=tool_calls or None)
            yield ModelResponseStream(model=model, choices=[StreamingChoices(index=0, delta=delta)])
        # The usage rides a chunk of its own before the finish: litellm drops a finish chunk
        # without content, usage and all, and would count the tokens again with its tokenizer.
        yield ModelResponseStream(
            model=model,
            choices=[StreamingChoices(index=0, delta=Delta())],
            usage=usage(prompt.text, text),
        )
        yield ModelResponseStream(
            model=model,
            choices=[
                StreamingChoices(
                    index=0, delta=Delta(), finish_reason="tool_calls" if calls else "stop"
                )
            ],
        )

    @staticmethod
    def _deltas(output: ModelOutput, reply: ReplyFilter | None) -> list[Delta]:
        """Thoughts and text in chunks of their own, thoughts first: adapters that open one
        content block per kind (Anthropic's) read one kind per chunk."""
        deltas = []
        if output.thoughts_delta:
            thoughts = Delta()
            thoughts.reasoning_content = output.thoughts_delta
            deltas.append(thoughts)
        shown = reply.feed(output.text_delta) if reply else output.text_delta
        if shown:
            deltas.append(Delta(content=shown))
        return deltas

    async def aimage_generation(  # type: ignore[override]
        self,
        model: str,
        prompt: str,
        model_response: ImageResponse,
        optional_params: dict[str, Any],
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
        optional_params: dict[str, Any],
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
