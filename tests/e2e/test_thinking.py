"""Thinking in every dialect: asking for reasoning switches on Gemini web's extended thinking,
and the thoughts come back in the dialect's own field."""

import anthropic
import openai
from google import genai
from google.genai import types

from tests.fakes.gemini_web import FakeGeminiWeb, Reply

MODEL = "gemini-2.5-pro"
THOUGHTFUL = Reply(text="42.", thoughts="Six times seven.")


def test_openai_reasoning_effort(client: openai.OpenAI, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(THOUGHTFUL, Reply("42."))
    question = [{"role": "user", "content": "Six times seven?"}]
    deep = client.chat.completions.create(model=MODEL, messages=question, reasoning_effort="high")  # type: ignore[arg-type]
    plain = client.chat.completions.create(model=MODEL, messages=question)  # type: ignore[arg-type]
    assert deep.choices[0].message.content == "42."
    assert deep.choices[0].message.reasoning_content == "Six times seven."  # type: ignore[attr-defined]
    assert [r.extended_thinking for r in fake_gemini.generate_requests] == [True, False]
    assert plain.choices[0].message.content == "42."


def test_openai_streams_reasoning_content(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(text="42.", thoughts="Six times seven.", frames=2))
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Six times seven?"}],
        reasoning_effort="medium",
        stream=True,
    )
    deltas = [c.choices[0].delta for c in stream if c.choices]
    thoughts = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)
    assert thoughts == "Six times seven." and fake_gemini.generate_requests[0].extended_thinking


def test_gemini_thinking_config(gemini: genai.Client, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(THOUGHTFUL)
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(thinking_budget=2048, include_thoughts=True)
    )
    answer = gemini.models.generate_content(model=MODEL, contents="Six times seven?", config=config)
    parts = answer.candidates[0].content.parts  # type: ignore[index, union-attr]
    assert [(p.thought, p.text) for p in parts] == [(True, "Six times seven."), (None, "42.")]  # type: ignore[union-attr]
    assert fake_gemini.generate_requests[0].extended_thinking
    fake_gemini.script(THOUGHTFUL)
    off = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=0))
    gemini.models.generate_content(model=MODEL, contents="Six times seven?", config=off)
    assert not fake_gemini.generate_requests[1].extended_thinking


def test_anthropic_thinking_blocks(claude: anthropic.Anthropic, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(THOUGHTFUL)
    message = claude.messages.create(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "Six times seven?"}],
    )
    kinds = [
        (b.type, getattr(b, "thinking", None) or getattr(b, "text", None)) for b in message.content
    ]
    assert kinds == [("thinking", "Six times seven."), ("text", "42.")]
    assert fake_gemini.generate_requests[0].extended_thinking

    fake_gemini.script(Reply(text="42.", thoughts="Six times seven.", frames=2))
    with claude.messages.stream(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "Six times seven?"}],
    ) as stream:
        final = stream.get_final_message()
    # The fake streams thoughts and text side by side: blocks of each kind alternate.
    thinking = "".join(b.thinking for b in final.content if b.type == "thinking")
    text = "".join(b.text for b in final.content if b.type == "text")
    assert (final.content[0].type, thinking, text) == ("thinking", "Six times seven.", "42.")


def test_responses_reasoning(client: openai.OpenAI, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(THOUGHTFUL)
    response = client.responses.create(
        model=MODEL, input="Six times seven?", reasoning={"effort": "high"}
    )
    assert response.output_text == "42." and fake_gemini.generate_requests[0].extended_thinking
    (reasoning,) = [item for item in response.output if item.type == "reasoning"]
    assert [s.text for s in reasoning.summary] == ["Six times seven."]
    assert [(c.type, c.text) for c in reasoning.content or []] == [
        ("reasoning_text", "Six times seven.")
    ]


def test_anthropic_leaves_thoughts_out_unless_thinking_is_enabled(
    claude: anthropic.Anthropic, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(THOUGHTFUL, Reply(text="42.", thoughts="Six times seven.", frames=2))
    question = [{"role": "user", "content": "Six times seven?"}]
    message = claude.messages.create(model=MODEL, max_tokens=64, messages=question)  # type: ignore[arg-type]
    with claude.messages.stream(model=MODEL, max_tokens=64, messages=question) as stream:  # type: ignore[arg-type]
        streamed = stream.get_final_message()
    for answer in (message, streamed):
        assert [(b.type, getattr(b, "text", None)) for b in answer.content] == [("text", "42.")]
    assert not fake_gemini.generate_requests[0].extended_thinking
