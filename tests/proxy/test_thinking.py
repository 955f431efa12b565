"""Which requests switch on Gemini web's extended thinking, in each dialect's words."""

from typing import Any

import pytest

from proxy.anthropic.schema import MessagesRequest
from proxy.anthropic.translate import chat_call as anthropic_call
from proxy.chat.openai import ChatRequest
from proxy.gemini.schema import GenerateContentRequest
from proxy.gemini.translate import chat_call as gemini_call

HELLO = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("effort", "extended"),
    [(None, False), ("none", False), ("minimal", False), ("low", True), ("xhigh", True)],
)
def test_openai_reasoning_effort(effort: str | None, extended: bool) -> None:
    call = ChatRequest.model_validate({"messages": HELLO, "reasoning_effort": effort}).to_call()
    assert call.extended_thinking is extended
    assert ("extended_thinking" in call.router_kwargs("m", stream=False)) is extended


@pytest.mark.parametrize(
    ("config", "extended"),
    [
        ({}, False),
        ({"includeThoughts": True}, False),
        ({"thinkingBudget": 0}, False),
        ({"thinkingBudget": -1}, True),
        ({"thinkingBudget": 1024}, True),
        ({"thinkingLevel": "minimal"}, False),
        ({"thinkingLevel": "high"}, True),
    ],
)
def test_gemini_thinking_config(config: dict[str, Any], extended: bool) -> None:
    body = {
        "contents": [{"parts": [{"text": "hi"}]}],
        "generationConfig": {"thinkingConfig": config},
    }
    call = gemini_call(GenerateContentRequest.model_validate(body), "gemini-2.5-pro")
    assert call.extended_thinking is extended


@pytest.mark.parametrize(
    ("thinking", "extended"),
    [
        (None, False),
        ({"type": "disabled"}, False),
        ({"type": "enabled", "budget_tokens": 1024}, True),
        ({"type": "enabled", "budget_tokens": 32000}, True),
        ({"type": "adaptive"}, True),
    ],
)
def test_anthropic_thinking(thinking: dict[str, Any] | None, extended: bool) -> None:
    body = {"model": "gemini-2.5-pro", "max_tokens": 64, "messages": HELLO, "thinking": thinking}
    call, shape = anthropic_call(MessagesRequest.model_validate(body))
    assert call.extended_thinking is extended and shape.thinking is extended
