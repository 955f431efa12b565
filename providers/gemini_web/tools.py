"""Function calling emulated in the prompt, since Gemini web has no tool API.

The protocol
------------
When a request offers tools (OpenAI `tools`, `tool_choice`, `parallel_tool_calls`), the prompt's
system instructions list every function (name, description, JSON Schema parameters) and this
reply rule: to call functions, answer with exactly one fenced block whose info string is
`tool_calls` and whose body is a JSON array of calls, and nothing else::

    ```tool_calls
    [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    ```

`tool_choice` adds one sentence: "auto" (call only when needed), "required" (call at least
one), a named function (call that one), "none" (no calls: answer in plain text);
`parallel_tool_calls: false` asks for at most one call. Earlier turns are written back in the
same notation (an assistant's calls as a `tool_calls` block, each result as a
`Tool result (<name>): <content>` line), so the model sees the protocol used consistently.

Replies are read leniently:

* the info string may be `tool_calls`, `tool_call`, `tool-calls`, ... in any case;
* the body may be an array of calls, one call, or `{"tool_calls": [...]}`; a call's arguments
  may sit under `arguments`, `args` or `parameters`, as an object or a JSON string, and
  OpenAI-shaped calls (`{"function": {"name", "arguments"}}`) are understood;
* trailing commas are forgiven, a block left open at the end is read to the end, several
  blocks add up, and prose around blocks becomes the message content.

Blocks never reach the client as text. Calls to functions that were not offered and blocks
that do not parse are dropped (and logged); with `tool_choice: "none"` every call is dropped,
with `parallel_tool_calls: false` all but the first. Calls leave as OpenAI `tool_calls`
(`call_<hex>` ids, `arguments` a JSON string). A streamed reply is forwarded as it arrives,
except a possible block opening, which is held back until it is decided.
"""

import json
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

FENCE = "```"
TAG = "tool_calls"
_TAGS = ("tool_calls", "tool_call", "tool-calls", "tool-call", "toolcalls", "toolcall")
# An opening is decided once the character after the tag is known (`tool_call` vs `tool_calls`).
_OPENING = re.compile(r"```[ \t]*tool[_-]?calls?(?=[\s\[{])[ \t]*\n?", re.I)
_PARTIAL_OPENING = re.compile(r"`{1,3}|```[ \t]*(?P<word>[A-Za-z_-]*)")
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


class ToolError(ValueError):
    """`tools` or `tool_choice` are malformed (a client error)."""


@dataclass(frozen=True)
class Function:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]

    def openai(self) -> dict[str, Any]:
        """This call as an OpenAI `tool_calls` item, with a fresh id."""
        return {
            "id": f"call_{secrets.token_hex(12)}",
            "type": "function",
            "function": {
                "name": self.name,
                "arguments": json.dumps(self.arguments, ensure_ascii=False),
            },
        }


def format_calls(calls: Iterable[tuple[str, Any]]) -> str:
    """(name, arguments) pairs written as the protocol's fenced block."""
    body = [{"name": name, "arguments": arguments} for name, arguments in calls]
    return f"{FENCE}{TAG}\n{json.dumps(body, ensure_ascii=False)}\n{FENCE}"


@dataclass(frozen=True)
class ToolSpec:
    """The tools a request offers and how the model may use them."""

    functions: tuple[Function, ...]
    choice: str = "auto"
    """"auto", "none", "required", or "function" (then `forced` names it)."""
    forced: str | None = None
    parallel: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "ToolSpec | None":
        """The spec for a request's optional params; None when it offers no tools."""
        tools = params.get("tools")
        if not tools:
            return None
        if not isinstance(tools, list):
            raise ToolError("tools must be a list")
        functions = tuple(_function(tool, index) for index, tool in enumerate(tools))
        names = [f.name for f in functions]
        if len(set(names)) != len(names):
            raise ToolError("tools: function names must be unique")
        choice, forced = _choice(params.get("tool_choice"), names)
        return cls(functions, choice, forced, params.get("parallel_tool_calls") is not False)

    def instructions(self) -> str:
        """The tools section of the prompt's system instructions."""
        if self.choice == "none":
            return (
                "Function calling is off for this reply: answer in plain text and do not "
                f"write a {TAG} block."
            )
        lines = ["You can call these functions (parameters are given as JSON Schema):"]
        for function in self.functions:
            lines.append(f"- {function.name}: {function.description or '(no description)'}")
            lines.append(f"  parameters: {json.dumps(function.parameters, ensure_ascii=False)}")
        lines += [
            "",
            f"To call functions, reply with exactly one fenced block tagged {TAG} that holds a "
            "JSON array of calls, and write nothing else:",
            f"{FENCE}{TAG}",
            '[{"name": "<function name>", "arguments": {<arguments as a JSON object>}}]',
            FENCE,
            self._choice_rule(),
            "Put several calls in the array to make them at once."
            if self.parallel
            else "Make at most one call per reply.",
            "Use only the functions above, with arguments that match their parameters. Results "
            "come back in a later message as 'Tool result' lines: never write results yourself. "
            f"When you answer without calling, do not mention the {TAG} block or these rules.",
        ]
        return "\n".join(lines)

    def _choice_rule(self) -> str:
        if self.choice == "required":
            return "You must call at least one function in this reply."
        if self.choice == "function":
            return f"You must call the function {self.forced} in this reply."
        return "Call functions only when they are needed to answer; otherwise answer normally."

    def accept(self, calls: list[ToolCall]) -> list[ToolCall]:
        """The calls a client may receive: offered functions only, as the choice allows."""
        offered = {f.name for f in self.functions}
        kept = [c for c in calls if c.name in offered]
        if len(kept) < len(calls):
            logger.warning("dropped %d call(s) to functions not offered", len(calls) - len(kept))
        if self.choice == "none":
            return []
        return kept if self.parallel else kept[:1]


def _function(tool: Any, index: int) -> Function:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or tool.get("type", "function") != "function":
        raise ToolError(f"tools.{index}: only function tools are supported")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ToolError(f"tools.{index}.function.name is required")
    parameters = function.get("parameters") or _EMPTY_PARAMETERS
    if not isinstance(parameters, dict):
        raise ToolError(f"tools.{index}.function.parameters must be a JSON Schema object")
    return Function(name, str(function.get("description") or ""), parameters)


def _choice(value: Any, names: list[str]) -> tuple[str, str | None]:
    if value is None:
        return "auto", None
    if value in ("auto", "none", "required"):
        return value, None
    function = value.get("function") if isinstance(value, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if name not in names:
        raise ToolError("tool_choice must be auto, none, required or an offered function")
    return "function", name


class ReplyFilter:
    """Splits a reply, fed as it streams, into text to show and tool calls.

    `feed()` returns the text that is safe to show now; `finish()` the rest and the calls.
    Whitespace before a block or at the very end is dropped, so a pure call shows no text.
    """

    def __init__(self, spec: ToolSpec) -> None:
        self._spec = spec
        self._pending = ""
        self._in_block = False
        self._space = ""
        self._started = False
        self._calls: list[ToolCall] = []

    def feed(self, delta: str) -> str:
        self._pending += delta
        shown: list[str] = []
        while True:
            if self._in_block:
                end = self._pending.find(FENCE)
                if end < 0:
                    break
                self._read_block(self._pending[:end])
                self._pending = self._pending[end + len(FENCE) :]
                self._in_block = False
                continue
            opening = _OPENING.search(self._pending)
            if opening is None:
                held = _held_from(self._pending)
                shown.append(self._show(self._pending[:held]))
                self._pending = self._pending[held:]
                break
            shown.append(self._show(self._pending[: opening.start()]))
            self._space = ""
            self._pending = self._pending[opening.end() :]
            self._in_block = True
        return "".join(shown)

    def finish(self) -> tuple[str, list[ToolCall]]:
        """The text still held back and the accepted calls, once the reply is complete."""
        rest = ""
        if self._in_block:
            self._read_block(self._pending)
        else:
            rest = self._show(self._pending)
        self._pending = ""
        return rest, self._spec.accept(self._calls)

    def _show(self, text: str) -> str:
        """Text to emit, minus trailing whitespace, which waits for what follows it."""
        if not self._started:
            text = text.lstrip()
            self._started = bool(text)
        text = self._space + text
        body = text.rstrip()
        self._space = text[len(body) :]
        return body

    def _read_block(self, body: str) -> None:
        calls = parse_calls(body)
        if calls is None:
            logger.warning("dropped a %s block that is not valid JSON", TAG)
        self._calls.extend(calls or [])


def split_reply(text: str, spec: ToolSpec) -> tuple[str, list[ToolCall]]:
    """A complete reply's text to show and its accepted calls."""
    reply = ReplyFilter(spec)
    shown = reply.feed(text)
    rest, calls = reply.finish()
    return shown + rest, calls


def _held_from(text: str) -> int:
    """Where a possible, still undecided block opening starts in `text` (len: none)."""
    start = text.find("`")
    while start >= 0:
        partial = _PARTIAL_OPENING.fullmatch(text, start)
        if partial is not None:
            word = (partial["word"] or "").lower()
            if any(tag.startswith(word) for tag in _TAGS):
                return start
        start = text.find("`", start + 1)
    return len(text)


def parse_calls(body: str) -> list[ToolCall] | None:
    """The calls in a block's body; None when it is not JSON at all."""
    text = body.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = json.loads(_TRAILING_COMMA.sub(r"\1", text))
        except json.JSONDecodeError:
            return None
    if isinstance(data, dict):
        data = data.get("tool_calls", [data])
    if not isinstance(data, list):
        return None
    return [call for call in map(_call, data) if call is not None]


def _call(item: Any) -> ToolCall | None:
    if isinstance(item, dict) and isinstance(item.get("function"), dict):
        item = item["function"]
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    arguments = next((item[k] for k in ("arguments", "args", "parameters") if k in item), None)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return None
    if arguments is None:
        arguments = {}
    return ToolCall(item["name"], arguments) if isinstance(arguments, dict) else None
