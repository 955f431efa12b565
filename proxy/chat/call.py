"""`ChatCall`: one chat request in the form every dialect translates into, and the only way to
Router kwargs.

Only an explicit allow-list of fields reaches the Router: request fields override deployment
params in litellm, so a client must never be able to set `api_base`, keys or accounts. Both the
OpenAI and the Gemini-native routes build a `ChatCall`; `router_kwargs` is that allow-list.
"""

from dataclasses import dataclass, field
from typing import Any

from proxy.chat.structured import JsonAnswer

# Reasoning efforts (OpenAI's scale, which Anthropic budgets and Gemini levels map onto) that
# switch on Gemini web's extended thinking; below them the model thinks as it always does.
_EXTENDED_EFFORTS = ("low", "medium", "high", "xhigh")


def wants_extended_thinking(effort: str | None) -> bool:
    return effort in _EXTENDED_EFFORTS


@dataclass(frozen=True)
class ChatOptions:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    user: str | None = None


@dataclass(frozen=True)
class ChatCall:
    """What to ask: OpenAI-format messages (already validated), tools, options."""

    messages: list[dict[str, Any]]
    model: str | None = None
    """The public model the client named; None for the default."""
    options: ChatOptions = ChatOptions()
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    include_usage: bool = False
    """Streams only: whether the client asked for a final usage chunk."""
    json_answer: JsonAnswer | None = None
    """Whether the answer must be JSON (its instruction is among `messages` already)."""
    extended_thinking: bool = False
    """Gemini web's extended thinking mode (thoughts come back as `reasoning_content`)."""

    def prompt_chars(self) -> int:
        """Characters of text the client sent, to bound what goes upstream."""
        total = sum(len(str(tool)) for tool in self.tools)
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, str):
                total += len(content)
            elif isinstance(content, list):
                total += sum(len(str(p.get("text", ""))) for p in content if isinstance(p, dict))
        return total

    def router_kwargs(self, model: str, *, stream: bool) -> dict[str, Any]:
        """The Router kwargs for this call to the public `model`."""
        kwargs: dict[str, Any] = {"model": model, "messages": self.messages}
        for name, value in vars(self.options).items():
            if value is not None:
                kwargs[name] = value
        if self.tools:
            kwargs["tools"] = self.tools
            if self.tool_choice is not None:
                kwargs["tool_choice"] = self.tool_choice
            if self.parallel_tool_calls is not None:
                kwargs["parallel_tool_calls"] = self.parallel_tool_calls
            # litellm would otherwise pass tool requests through its MCP gateway check, which
            # needs the optional `mcp` package; these tools are emulated, never sent to MCP.
            kwargs["_skip_mcp_handler"] = True
        if self.extended_thinking:
            # A name litellm does not know reaches the provider as is (`reasoning_effort`
            # would be refused for a custom provider).
            kwargs["extended_thinking"] = True
        if stream:
            kwargs["stream_options"] = {"include_usage": self.include_usage}
        return kwargs
