"""Model lists, lookups and token counts, each client in its own dialect (real SDKs)."""

import httpx
import openai
import pytest
from google import genai

from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import LiveServer


def test_openai_retrieves_a_model_and_gets_404_for_an_unknown_one(client: openai.OpenAI) -> None:
    model = client.models.retrieve("gemini-2.5-pro")
    assert (model.id, model.object, model.owned_by) == ("gemini-2.5-pro", "model", "gemini-proxy")
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    assert caught.value.body["message"] == "Model 'gpt-4o' not found"  # type: ignore[index]


def test_google_genai_lists_and_gets_models_on_the_shared_v1_path(gemini: genai.Client) -> None:
    models = list(gemini.models.list())
    names = [m.name for m in models]
    assert names[0] == "models/gemini-3-flash-preview" and "models/gemini-2.5-flash-image" in names
    chat = next(m for m in models if m.name == "models/gemini-2.5-pro")
    assert chat.display_name == "Gemini 2.5 Pro" and chat.input_token_limit == 1_048_576
    assert "generateContent" in (chat.supported_actions or [])
    model = gemini.models.get(model="gemini-3-pro-image-preview")
    assert model.display_name == "Pro Image" and "editImage" in (model.supported_actions or [])
    with pytest.raises(genai.errors.ClientError) as caught:
        gemini.models.get(model="gpt-4o")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"


def test_google_genai_counts_tokens_as_the_usage_block_estimates_them(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    prompt = "count these words please, all of them"
    counted = gemini.models.count_tokens(model="gemini-2.5-flash", contents=prompt)
    answer = gemini.models.generate_content(model="gemini-2.5-flash", contents=prompt)
    assert counted.total_tokens == answer.usage_metadata.prompt_token_count == 10  # type: ignore[union-attr]
    assert len(fake_gemini.generate_requests) == 1  # counting asked Gemini web nothing


@pytest.mark.parametrize("prefix", ["/v1beta", "/gemini/v1beta"])
def test_v1beta_lists_in_googles_shape_for_aggregators(server: LiveServer, prefix: str) -> None:
    listed = httpx.get(f"{server.url}{prefix}/models?key=sk-anything").json()
    first = listed["models"][0]
    assert first["name"] == "models/gemini-3-flash-preview"
    assert first["supportedGenerationMethods"] == [
        "generateContent", "streamGenerateContent", "countTokens",
    ]  # fmt: skip
    one = httpx.get(f"{server.url}{prefix}/models/gemini-2.5-flash").json()
    assert one["displayName"] == "Gemini 2.5 Flash" and one["outputTokenLimit"] == 65_536


def test_shared_v1_path_answers_each_client_in_its_own_shape(server: LiveServer) -> None:
    openai_list = httpx.get(f"{server.url}/v1/models").json()
    google_list = httpx.get(f"{server.url}/v1/models", headers={"x-goog-api-key": "k"}).json()
    assert openai_list["object"] == "list" and "models" in google_list
    missing = httpx.get(f"{server.url}/v1/models/nope", params={"key": "k"})
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
    missing = httpx.get(f"{server.url}/v1/models/nope")
    assert missing.json()["error"]["type"] == "invalid_request_error"


def test_count_tokens_rejects_bad_input_in_googles_shape(server: LiveServer) -> None:
    path = "/v1beta/models/gemini-2.5-flash:countTokens"
    response = httpx.post(f"{server.url}{path}", json={})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    unknown = httpx.post(
        f"{server.url}/v1beta/models/gpt-4o:countTokens",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
    )
    assert unknown.status_code == 400 and "Unknown model" in unknown.json()["error"]["message"]


def test_count_tokens_takes_a_whole_generate_content_request(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    contents = [{"role": "user", "parts": [{"text": "count these words please, all of them"}]}]
    path = "/gemini/v1beta/models/gemini-2.5-flash:countTokens"
    wrapped = {"generateContentRequest": {"model": "models/gemini-2.5-flash", "contents": contents}}
    plain = httpx.post(f"{server.url}{path}", json={"contents": contents}).json()
    assert httpx.post(f"{server.url}{path}", json=wrapped).json() == plain == {"totalTokens": 10}
    both = httpx.post(f"{server.url}{path}", json={**wrapped, "contents": contents})
    assert both.status_code == 400 and "either contents or" in both.json()["error"]["message"]
    assert fake_gemini.generate_calls == 0
