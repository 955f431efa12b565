"""LiteLLM's own `gemini/` provider pointed at the proxy: its base URL is `<proxy>/v1beta`
(or `<proxy>/gemini/v1beta`); it appends `/models/{model}:generateContent` itself."""

import litellm
import pytest

from tests.fakes.gemini_web import FakeGeminiWeb, Reply
from tests.live import LiveServer

QUESTION = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("prefix", ["/v1beta", "/gemini/v1beta"])
def test_completion_through_the_gemini_provider(
    server: LiveServer, fake_gemini: FakeGeminiWeb, prefix: str
) -> None:
    fake_gemini.script(Reply("hi there"))
    answer = litellm.completion(
        model="gemini/gemini-2.5-flash", api_base=f"{server.url}{prefix}", api_key="k",
        messages=QUESTION,
    )  # fmt: skip
    assert answer.choices[0].message.content == "hi there"  # type: ignore[union-attr]
    assert answer.usage.total_tokens > 0  # type: ignore[attr-defined]
    assert fake_gemini.generate_requests[0].prompt == "hello"


def test_streaming_and_tools_through_the_gemini_provider(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("alpha beta gamma", frames=3))
    stream = litellm.completion(
        model="gemini/gemini-2.5-flash", api_base=f"{server.url}/v1beta", api_key="k",
        messages=QUESTION, stream=True,
    )  # fmt: skip
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)  # type: ignore[union-attr]
    assert text == "alpha beta gamma"

    fake_gemini.script(
        Reply('```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```')
    )
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    answer = litellm.completion(
        model="gemini/gemini-2.5-flash", api_base=f"{server.url}/v1beta", api_key="k",
        messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[tool],
        _skip_mcp_handler=True,  # litellm's client would otherwise need the `mcp` package
    )  # fmt: skip
    (call,) = answer.choices[0].message.tool_calls  # type: ignore[union-attr]
    assert call.function.name == "get_weather" and '"Paris"' in call.function.arguments
