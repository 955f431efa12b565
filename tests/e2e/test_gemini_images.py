"""Gemini-native image answers: image models return `inlineData` parts; `:editImage`."""

import base64

import httpx
from google import genai
from google.genai import types

from postprocess.layouts import LAYOUTS
from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer
from tests.postprocess.images import encode, logo_psnr, pixels_of, psnr, scene, watermarked


def test_an_image_model_answers_with_a_clean_image_part(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    clean = scene("astronaut", 1024, 1024)
    layout = LAYOUTS[1]
    fake_gemini.respond_with(
        lambda r: Reply(text="An astronaut.", images=[encode(watermarked(clean, layout))])
    )
    response = gemini.models.generate_content(
        model="gemini-2.5-flash-image", contents="draw an astronaut"
    )
    parts = response.candidates[0].content.parts
    images = [p.inline_data for p in parts if p.inline_data]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    assert any(p.text == "An astronaut." for p in parts)
    assert logo_psnr(pixels_of(images[0].data), clean, layout) >= 50
    assert psnr(pixels_of(images[0].data), clean) > 40
    assert fake_gemini.generate_requests[0].prompt == "Generate an image: draw an astronaut"


def test_an_image_model_streams_its_image_as_one_event(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(8, 8)]))
    chunks = list(
        gemini.models.generate_content_stream(model="gemini-2.5-flash-image", contents="dots")
    )
    data = [
        p.inline_data.data for c in chunks for p in c.candidates[0].content.parts if p.inline_data
    ]
    assert data == [make_png(8, 8)]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_edit_image_takes_an_inline_reference(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(8, 8, (0, 0, 255))]))
    reference = make_png(4, 4)
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "make it blue"},
                    {
                        "inlineData": {
                            "mimeType": "image/png",
                            "data": base64.b64encode(reference).decode(),
                        }
                    },
                ],
            }
        ]
    }
    answer = httpx.post(
        f"{server.url}/gemini/v1beta/models/gemini-2.5-flash-image:editImage", json=body, timeout=30
    )
    assert answer.status_code == 200
    part = answer.json()["candidates"][0]["content"]["parts"][-1]["inlineData"]
    assert base64.b64decode(part["data"]) == make_png(8, 8, (0, 0, 255))
    assert fake_gemini.uploads[0].data == reference
    assert fake_gemini.generate_requests[0].prompt.startswith(
        "Edit the attached image as follows: make it blue"
    )
    missing = httpx.post(
        f"{server.url}/gemini/v1beta/models/gemini-2.5-flash-image:editImage",
        json={"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
    )
    assert missing.status_code == 400 and missing.json()["error"]["status"] == "INVALID_ARGUMENT"
