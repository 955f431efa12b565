"""The fake gemini.google.com serving the unmodified `gemini_webapi.GeminiClient`: framing,
init and models, generation, files and images, other processes.

Every generate call passes `current_retry=0`, so the library's 5-25 s retry sleeps never run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from curl_cffi.requests.exceptions import HTTPError
from gemini_webapi import GeminiClient
from gemini_webapi.utils.parsing import StreamingFrameParser

from tests.fakes.clients import INIT_RPCS, PSID, new_client
from tests.fakes.gemini_web import (
    FLASH,
    PRO,
    REJECT,
    Catalogue,
    FakeGeminiWeb,
    FakeRequest,
    Picture,
    Reply,
    Target,
    make_png,
    wire,
)
from tests.fakes.gemini_web.replies import cumulative

# -- framing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["plain", "Grüße, 日本語", "emoji 😀🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"])
def test_frames_parse_with_the_library_parser(text: str) -> None:
    body = wire.XSSI_PREFIX + "\n" + wire.stream_frame(["a", text]) + wire.stream_frame([text])
    parts = StreamingFrameParser().feed(body)
    assert [p[2] for p in parts] == [wire.dumps(["a", text]), wire.dumps([text])]


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert wire.utf16_len("a😀é") == 4


def test_cumulative_prefixes_grow_to_the_text() -> None:
    assert cumulative("one two three four", 4) == [
        "one",
        "one two",
        "one two three",
        "one two three four",
    ]
    assert cumulative("ab", 5) == ["a", "ab"]


# -- init and models -------------------------------------------------------------------------


async def test_init_runs_the_observed_request_sequence(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    assert fake_gemini.app_inits == 1
    assert [
        r.rpcid for r in fake_gemini.requests(path="/_/BardChatUi/data/batchexecute")
    ] == INIT_RPCS
    assert "gemini.google.com:443" in fake_gemini.connects
    assert fake_gemini.requests(path="/app")[0].psid == PSID


async def test_list_models_publishes_the_default_catalogue(client: GeminiClient) -> None:
    models = {m.model_name: m for m in client.list_models() or []}
    assert {name: (m.model_id, m.display_name) for name, m in models.items()} == {
        "gemini-flash": ("fbb127bbb056c959", "3 Flash"),
        "gemini-pro": ("9d8ca3786ebdfbea", "3 Pro"),
        "gemini-flash-lite": ("cf41b0e0dd7d53e5", "3 Flash-Lite"),
    }
    assert models["gemini-flash"].aliases == [
        "3 flash",
        "3-flash",
        "fbb127bbb056c959",
        "flash",
        "gemini-3-flash",
        "gemini-flash",
    ]
    assert set(models["gemini-flash-lite"].aliases) >= {"flash-lite", "gemini-3-flash-lite"}
    assert client.resolve_model("gemini-3-pro").model_id == PRO.model_id
    assert client.resolve_model("gemini-2.5-flash-lite").model_name == "gemini-flash-lite"
    with pytest.raises(ValueError):
        client.resolve_model("gemini-3-flash-preview")


async def test_catalogue_is_settable_per_account(fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.set_catalogue(Catalogue(models=(PRO,)), psid="g.pro-only")
    pro_only, default = await new_client("g.pro-only"), await new_client()
    try:
        assert [m.model_name for m in pro_only.list_models() or []] == ["gemini-pro"]
        assert len(default.list_models() or []) == 3
    finally:
        await pro_only.close()
        await default.close()


async def test_rejected_rpc_marks_the_account_unauthenticated(fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.set_rpc_body("aPya6c", REJECT)
    gemini = await new_client()
    assert gemini.account_status.name == "UNAUTHENTICATED"
    await gemini.close()


# -- generation ------------------------------------------------------------------------------


async def test_generate_text_reads_the_model_header(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    out = await client.generate_content("hello", model="gemini-pro", current_retry=0)
    default = await client.generate_content("first line\nsecond line", current_retry=0)
    assert (out.text, default.text) == ("Echo: hello", "Echo: second line")
    with_model, without = fake_gemini.generate_requests
    assert (with_model.model_id, with_model.model, with_model.inner[79]) == (PRO.model_id, PRO, 3)
    assert (without.model_id, without.model) == (None, FLASH)
    assert with_model.psid == PSID and out.metadata[0].startswith("c_fake")


@pytest.mark.parametrize(
    "text", ["Grüße aus Köln", "日本語の返事です", "emoji 😀 and 👩‍💻 and 𝔘𝔫𝔦"]
)
async def test_non_ascii_text_survives_every_frame(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, text: str
) -> None:
    fake_gemini.script(Reply(text, frames=3, thoughts=f"thinking about {text}"))
    chunks = [c async for c in client.generate_content_stream("hi", current_retry=0)]
    assert "".join(c.text_delta for c in chunks) == text
    assert chunks[-1].thoughts == f"thinking about {text}"


async def test_stream_deltas_arrive_incrementally(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    text = "Once upon a time, a fake server streamed."
    fake_gemini.script(Reply(text, frames=5, frame_delay=0.1))
    arrivals = [
        (time.monotonic(), chunk.text_delta)
        async for chunk in client.generate_content_stream("story", current_retry=0)
    ]
    deltas = [delta for _, delta in arrivals if delta]
    assert len(deltas) == 5 and "".join(deltas) == text
    times = [t for t, delta in arrivals if delta]
    # Each delta came on its own (0.1 s apart, give or take scheduling jitter).
    assert all(later - earlier >= 0.05 for earlier, later in itertools.pairwise(times))
    assert times[-1] - times[0] >= 0.35


async def test_thoughts_are_delivered(fake_gemini: FakeGeminiWeb, client: GeminiClient) -> None:
    fake_gemini.script(Reply("42", thoughts="Let me think step by step."))
    out = await client.generate_content("meaning of life?", current_retry=0)
    assert (out.text, out.thoughts) == ("42", "Let me think step by step.")


async def test_script_then_responder(fake_gemini: FakeGeminiWeb, client: GeminiClient) -> None:
    fake_gemini.script("first", Reply("second"))
    fake_gemini.respond_with(lambda request: f"{request.prompt.upper()} via {request.model}")
    texts = [(await client.generate_content(p, current_retry=0)).text for p in ("a", "b", "c")]
    assert texts == ["first", "second", f"C via {FLASH}"]


async def test_reply_ids_can_be_chosen(fake_gemini: FakeGeminiWeb, client: GeminiClient) -> None:
    fake_gemini.script(Reply("ids", cid="c_mine", rid="r_mine", rcid="rc_mine"))
    out = await client.generate_content("hi", current_retry=0)
    assert (out.metadata, out.rcid) == (["c_mine", "r_mine"], "rc_mine")


async def test_concurrent_streams_and_a_blocking_responder(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    release = threading.Event()

    def respond(request: FakeRequest) -> str:
        if request.prompt == "slow":
            release.wait(5)  # runs in a worker thread, so the fake keeps serving others
        return f"done {request.prompt}"

    fake_gemini.respond_with(respond)
    slow = asyncio.create_task(client.generate_content("slow", current_retry=0))
    await asyncio.sleep(0.1)
    fast = await client.generate_content("fast", current_retry=0)
    assert fast.text == "done fast" and not slow.done()
    release.set()
    assert (await slow).text == "done slow"


async def test_chat_session_continues_its_conversation(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    chat = client.start_chat()
    await chat.send_message("one", current_retry=0)
    cid = chat.cid
    await chat.send_message("two", current_retry=0)
    second: FakeRequest = fake_gemini.generate_requests[-1]
    assert second.cid == cid and second.chat_metadata[9].startswith("!fakeContext-")
    history = await client.read_chat(cid)
    assert history is not None and [t.text for t in history.turns] == [
        "Echo: two",
        "two",
        "Echo: one",
        "one",
    ]


async def test_latency_delays_the_first_frame(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.latency = 0.3
    start = time.monotonic()
    stream = client.generate_content_stream("hi", current_retry=0)
    await anext(stream)
    await stream.aclose()
    assert time.monotonic() - start >= 0.3


# -- files and images ------------------------------------------------------------------------


async def test_upload_records_file_name_type_and_bytes(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(make_png(3, 2))
    await client.generate_content("describe", files=[photo], current_retry=0)
    (upload,) = fake_gemini.uploads
    assert (upload.filename, upload.mime, upload.data) == (
        "photo.png",
        "image/png",
        photo.read_bytes(),
    )
    assert fake_gemini.generate_requests[-1].files == (upload,)
    assert (
        fake_gemini.requests(host="content-push.googleapis.com")[0].headers["Push-ID"]
        == "feeds/fakepushid123"
    )


async def test_upload_status_surfaces_as_http_error(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, tmp_path: Path
) -> None:
    fake_gemini.fail(Target.UPLOAD, 413)
    (tmp_path / "big.png").write_bytes(make_png())
    with pytest.raises(HTTPError, match="413"):
        await client.generate_content("describe", files=[tmp_path / "big.png"], current_retry=0)


async def test_generated_image_saves_full_size_through_the_chain(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, tmp_path: Path
) -> None:
    full, preview = make_png(16, 16), make_png(4, 4)
    fake_gemini.script(Reply("Here you go", images=[Picture(full, "a red square", preview)]))
    out = await client.generate_content("draw", current_retry=0)
    (image,) = out.candidates[0].generated_images
    assert (out.text.strip(), image.alt) == ("Here you go", "a red square")
    saved = await image.save(path=str(tmp_path), client=client.client)
    assert Path(saved).read_bytes() == full and saved.endswith(".png")
    paths = [r.path.split("/")[1] for r in fake_gemini.requests(host="lh3.googleusercontent.com")]
    assert paths == ["rd-gg", "dl", "fife"]
    assert fake_gemini.requests(rpcid="c8o8Fe")[0].status == 200
    preview_path = await image.save(path=str(tmp_path), client=client.client, full_size=False)
    assert Path(preview_path).read_bytes() == preview


async def test_generated_image_falls_back_to_s2048(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, tmp_path: Path
) -> None:
    full = make_png(16, 16, (0, 255, 0))
    fake_gemini.script(Reply("img", images=[Picture(full, preview=make_png())]))
    out = await client.generate_content("draw", current_retry=0)
    fake_gemini.fail(Target.IMAGE_FULL_SIZE, 404)
    saved = (
        await out.candidates[0].generated_images[0].save(path=str(tmp_path), client=client.client)
    )
    assert Path(saved).read_bytes() == full
    assert fake_gemini.requests(host="lh3.googleusercontent.com")[-1].path.endswith("=s2048-rj")


async def test_web_image_and_download_failure(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, tmp_path: Path
) -> None:
    cat = make_png(5, 5, (9, 9, 9))
    fake_gemini.script(Reply("a cat", web_images=[Picture(cat, "a cat")]))
    out = await client.generate_content("find a cat", current_retry=0)
    (image,) = out.candidates[0].web_images
    assert image.alt == "a cat" and out.text.strip() == "a cat"
    assert Path(await image.save(path=str(tmp_path), client=client.client)).read_bytes() == cat
    fake_gemini.fail(Target.IMAGE, 404)
    with pytest.raises(HTTPError, match="404"):
        await image.save(path=str(tmp_path), client=client.client)


# -- processes -------------------------------------------------------------------------------

_PROBE = (
    "import asyncio\n"
    "from curl_cffi.requests import AsyncSession\n"
    "async def main():\n"
    "    async with AsyncSession(impersonate='chrome145') as s:\n"
    "        r = await s.get('https://gemini.google.com/app', cookies={'__Secure-1PSID': 'p'})\n"
    "        print(r.status_code, 'SNlM0e' in r.text)\n"
    "asyncio.run(main())\n"
)


def test_subprocess_reaches_the_fake_through_env(fake_gemini: FakeGeminiWeb) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ),
    )
    assert result.stdout.split() == ["200", "True"], result.stderr
    assert fake_gemini.app_inits == 1


def test_cli_prints_env_and_serves(fake_gemini: FakeGeminiWeb) -> None:
    cli = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.gemini_web"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],  # the repository root
    )
    try:
        assert cli.stdout is not None
        exports = [shlex.split(cli.stdout.readline())[1] for _ in fake_gemini.env]
        env = dict(export.split("=", 1) for export in exports)
        assert env.keys() == fake_gemini.env.keys() and env != fake_gemini.env
        result = subprocess.run(
            [sys.executable, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, **env},
        )
        assert result.stdout.split() == ["200", "True"], result.stderr
        assert fake_gemini.app_inits == 0  # the CLI's own fake answered
    finally:
        cli.terminate()
        assert cli.wait(10) == 0
