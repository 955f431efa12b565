"""Image routes end to end: fake upstream serving watermarked images, pipeline, storage, SDK."""

import base64
import io
import re
from pathlib import Path

import httpx
import openai
import pytest
from PIL import Image

from postprocess.layouts import LAYOUTS, Layout
from tests.fakes.gemini_web import FakeGeminiWeb, Reply, Target, make_png
from tests.live import LiveServer, settings_for_fake
from tests.postprocess.images import encode, logo_psnr, pixels_of, scene, watermarked

NAME = re.compile(r"/images/gemini-images/\d{8}_\d{6}_[a-z0-9-]+_[0-9a-f]{6}\.png$")


def serve(fake: FakeGeminiWeb, image: bytes, text: str = "Here is your image") -> None:
    fake.respond_with(lambda request: Reply(text=text, images=[image]))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_the_watermark_is_removed_for_every_layout(
    server: LiveServer, fake_gemini: FakeGeminiWeb, layout: Layout
) -> None:
    clean = scene("astronaut", 1024, 1024)
    serve(fake_gemini, encode(watermarked(clean, layout)))
    answer = httpx.post(
        f"{server.url}/v1/generate-images", json={"prompt": "an astronaut"}, timeout=60
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["model"] == "gemini-2.5-flash-image"
    assert body["watermark"][0]["layout"] == layout.name
    assert answer.headers["x-watermark-removed"] == layout.name
    data_url = body["images"][0]
    assert data_url.startswith("data:image/png;base64,")
    result = pixels_of(base64.b64decode(data_url.split(",", 1)[1]))
    assert logo_psnr(result, clean, layout) >= 50


def test_a_clean_image_comes_back_bit_identical(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    original = encode(scene("coffee", 1024, 1024))
    serve(fake_gemini, original)
    body = httpx.post(
        f"{server.url}/v1/generate-images", json={"prompt": "coffee"}, timeout=60
    ).json()
    assert base64.b64decode(body["images"][0].split(",", 1)[1]) == original
    assert body["watermark"][0].get("detected") is False


def test_url_form_stores_a_png_that_downloads(
    server: LiveServer, fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    clean = scene("chelsea", 1024, 1024)
    serve(fake_gemini, encode(watermarked(clean, LAYOUTS[0])))
    body = httpx.post(
        f"{server.url}/v1/generate-images",
        json={"prompt": "一只可爱的猫 sleeping cat", "response_type": "url"}, timeout=60,
    ).json()  # fmt: skip
    url = body["images"][0]
    assert url.startswith(server.url) and NAME.search(url), url
    downloaded = httpx.get(url)
    assert downloaded.status_code == 200 and downloaded.headers["content-type"] == "image/png"
    assert logo_psnr(pixels_of(downloaded.content), clean, LAYOUTS[0]) >= 50
    stored = list((tmp_path / "images" / "gemini-images").glob("*.png"))
    assert [p.read_bytes() for p in stored] == [downloaded.content]
    (tmp_path / "secret.txt").write_text("not an image")  # beside the image folder
    escape = httpx.get(f"{server.url}/images/gemini-images/%2e%2e/%2e%2e/secret.txt")
    assert escape.status_code == 404 and "not an image" not in escape.text


def test_openai_sdk_generates_in_both_forms(
    client: openai.OpenAI, server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    png = encode(scene("astronaut", 1024, 1024))
    serve(fake_gemini, png, text="A friendly astronaut waving.")
    b64 = client.images.generate(prompt="an astronaut", response_format="b64_json")
    assert base64.b64decode(b64.data[0].b64_json or "") == png
    assert b64.data[0].revised_prompt == "A friendly astronaut waving."
    url = client.images.generate(
        model="gemini-3-pro-image-preview", prompt="astronaut", response_format="url"
    )
    assert httpx.get(url.data[0].url or "").content == png
    assert fake_gemini.generate_requests[-1].model.display_name == "3 Pro"


def test_openai_sdk_edits_with_a_multipart_file(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    serve(fake_gemini, make_png(32, 32, (0, 128, 0)))
    reference = make_png(16, 16, (255, 0, 0))
    edited = client.images.edit(
        image=("input.png", reference, "image/png"),
        prompt="make it green",
        response_format="b64_json",
    )
    assert base64.b64decode(edited.data[0].b64_json or "") == make_png(32, 32, (0, 128, 0))
    (upload,) = fake_gemini.uploads
    assert upload.data == reference and upload.filename.endswith(".png")
    assert "make it green" in fake_gemini.generate_requests[0].prompt


@pytest.mark.parametrize("path", ["/v1/images/edit", "/v1/images/edits"])
@pytest.mark.parametrize("form", ["url", "b64_json"])
def test_json_edits_take_data_urls(
    server: LiveServer, fake_gemini: FakeGeminiWeb, path: str, form: str
) -> None:
    serve(fake_gemini, make_png(8, 8))
    reference = "data:image/png;base64," + base64.b64encode(make_png(4, 4)).decode()
    body = {"prompt": "brighter", "image": reference, "response_format": form}
    answer = httpx.post(f"{server.url}{path}", json=body, timeout=60)
    assert answer.status_code == 200
    item = answer.json()["images"][0] if path.endswith("edit") else answer.json()["data"][0]
    if form == "url":
        url = item if path.endswith("edit") else item["url"]
        assert httpx.get(url).content == make_png(8, 8)
    else:
        encoded = item.split(",", 1)[1] if path.endswith("edit") else item["b64_json"]
        assert base64.b64decode(encoded) == make_png(8, 8)


def test_count_makes_as_many_images(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    serve(fake_gemini, make_png(8, 8))
    body = httpx.post(
        f"{server.url}/v1/generate-images", json={"prompt": "dots", "count": 3}, timeout=60
    ).json()
    assert len(body["images"]) == 3 and fake_gemini.generate_calls == 3


def test_size_words_in_the_prompt_choose_the_variant(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    serve(fake_gemini, make_png(8, 8))
    body = httpx.post(
        f"{server.url}/v1/generate-images", json={"prompt": "a castle, 4K ultra HD"}, timeout=60
    ).json()
    assert body["model"] == "gemini-3-pro-image-preview-4k"
    prompt = fake_gemini.generate_requests[0].prompt
    assert prompt.startswith("Generate an image: a castle") and prompt.count("4K ultra HD") == 1
    sized = httpx.post(
        f"{server.url}/v1/images/generations",
        json={"prompt": "sea", "size": "2560x1440"},
        timeout=60,
    )
    assert sized.status_code == 200 and "2K resolution" in fake_gemini.generate_requests[1].prompt


def test_full_size_failure_falls_back_then_fails_clearly(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    serve(fake_gemini, make_png(8, 8))
    fake_gemini.fail(Target.IMAGE_FULL_SIZE, 500)
    assert (
        httpx.post(f"{server.url}/v1/generate-images", json={"prompt": "x"}, timeout=60).status_code
        == 200
    )
    fake_gemini.fail(Target.IMAGE, 404, times=None)
    failed = httpx.post(f"{server.url}/v1/generate-images", json={"prompt": "x"}, timeout=60)
    assert failed.status_code == 502 and "download" in failed.json()["detail"]


def test_a_reply_without_image_is_answered_at_once_with_its_text(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    retrying = settings_for_fake(str(tmp_path), limits={"retry": {"max_retries": 5, "base": 0}})
    fake_gemini.respond_with(lambda request: Reply(text="I can't draw that."))
    with LiveServer(retrying) as server:
        failed = httpx.post(f"{server.url}/v1/generate-images", json={"prompt": "x"}, timeout=60)
        sdk = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k")  # the SDK's own retries on
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.images.generate(prompt="a cat")
    assert failed.status_code == 400 and "I can't draw that." in failed.json()["detail"]
    assert "answered without an image: I can't draw that." in caught.value.message
    assert fake_gemini.generate_calls == 2  # one generation per request, no retry


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prompt": "x", "image": "bm90IGFuIGltYWdl"}, "reference image rejected"),
        ({"prompt": "x", "image": "@@@"}, "not valid base64"),
        ({"prompt": "x", "count": 11}, "at most 4"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x", "response_type": "gif"}, "response_type"),
        ({"prompt": "x", "model": "dall-e-3"}, "Unknown model"),
    ],
)
def test_bad_image_requests_are_400(server: LiveServer, body: dict, needle: str) -> None:
    answer = httpx.post(f"{server.url}/v1/generate-images", json=body, timeout=30)
    assert answer.status_code == 400 and needle in answer.json()["detail"]


def test_decompression_bombs_are_refused(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    buffer = io.BytesIO()
    Image.new("L", (4097, 4097)).save(buffer, "PNG")
    bomb = base64.b64encode(buffer.getvalue()).decode()
    answer = httpx.post(
        f"{server.url}/v1/images/edit", json={"prompt": "x", "image": bomb}, timeout=30
    )
    assert answer.status_code == 400 and "pixel" in answer.json()["detail"]
    assert fake_gemini.generate_calls == 0
