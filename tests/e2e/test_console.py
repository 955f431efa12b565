"""The console in a real browser (headless Chromium) against a live server and the fake upstream:
accounts listed, an expired account brought back through the cookie form, a batch's progress,
results and errors, recent images with their watermark outcome, and screenshots checked."""

from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from postprocess.layouts import LAYOUTS
from tests.e2e.test_accounts import ADMIN, three_accounts
from tests.fakes.gemini_web import FakeGeminiWeb, Reply, Target, make_png
from tests.live import LiveServer, poll
from tests.postprocess.images import encode, scene, watermarked

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COOKIES_TXT = "\n".join(
    f".google.com\tTRUE\t/\tTRUE\t0\t{name}\t{value}"
    for name, value in (("__Secure-1PSID", "psid-a2"), ("__Secure-1PSIDTS", "ts-a2"))
)


def state_of(live: LiveServer, name: str) -> str:
    answer = httpx.get(f"{live.url}/admin/accounts/{name}", headers=ADMIN)
    return str(answer.json()["state"])


def screenshot(page: Any, path: Path, viewport: dict[str, int]) -> None:
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a drawn page, not a blank one
    with Image.open(path) as shot:
        assert shot.size == (viewport["width"], viewport["height"])
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20


def test_an_expired_account_is_brought_back_through_the_cookie_form(
    chromium: Any, fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.expire(psid="psid-a")
    with LiveServer(three_accounts(tmp_path)) as live:
        httpx.post(f"{live.url}/admin/accounts/a/test", headers=ADMIN)
        assert state_of(live, "a") == "expired"
        page = chromium.new_page(viewport=PHONE)
        page.goto(f"{live.url}/console")
        # auth is off and the browser is on this machine: readable, but no action offered
        page.wait_for_selector("[data-account=c]")
        assert page.inner_text("#access") == "read-only"
        assert page.locator("[data-account=a] .state").inner_text() == "expired"
        assert page.locator("text=Save cookies").count() == 0
        assert "ready" in page.inner_text("#health") or "2/3" in page.inner_text("#health")

        page.fill("#key", "wrong")
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("#message:has-text('Invalid admin key')")
        page.fill("#key", "admin-k")
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("#access:has-text('admin')")
        card = page.locator("[data-account=a]")
        card.locator("summary:has-text('New cookies')").click()
        card.locator("textarea[name=cookies]").fill(COOKIES_TXT)
        screenshot(page, tmp_path / "phone-form.png", PHONE)
        card.locator("button:has-text('Save cookies')").click()
        page.wait_for_selector("#message:has-text('a: cookies saved')")
        page.wait_for_selector("[data-account=a] .state:has-text('ready')")
        assert state_of(live, "a") == "ready"

        page.locator("[data-account=b] button:has-text('Disable')").click()
        page.wait_for_selector("[data-account=b] .state:has-text('disabled')")
        assert state_of(live, "b") == "disabled"
        # The key lives in the tab's session storage, and nowhere in the page.
        assert page.evaluate("sessionStorage.getItem('gemini-proxy-admin-key')") == "admin-k"
        assert "admin-k" not in page.content()
        screenshot(page, tmp_path / "phone.png", PHONE)
        page.close()


def test_a_batch_shows_its_progress_results_and_errors(
    chromium: Any, fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(64, 64)]))
    fake_gemini.fail(Target.GENERATE, 500)  # the first task fails
    fake_gemini.stall()  # the second is held until released
    with LiveServer(three_accounts(tmp_path, jobs={"poll_interval": 0.05})) as live:
        body = {"prompts": ["a fox", "a bird", "a cat"], "concurrency": 1}
        batch_id = httpx.post(f"{live.url}/v1/batch/images", json=body).json()["batch_id"]
        status_url = f"{live.url}/v1/batch/{batch_id}/status"
        poll(lambda: httpx.get(status_url).json()["failed"] == 1, "the first task to fail")

        page = chromium.new_page(viewport=DESKTOP)
        page.goto(f"{live.url}/console")
        row = page.locator(f"[data-batch={batch_id}]")
        row.wait_for()
        assert "processing" in row.inner_text() and "1 failed" in row.inner_text()
        assert row.locator("progress").get_attribute("value") == "1"
        assert row.locator("progress").get_attribute("max") == "3"

        fake_gemini.release_stalls()
        poll(lambda: httpx.get(status_url).json()["status"] != "processing", "the batch to end")
        page.reload()
        row.locator("summary").click()
        row.locator(".thumbs img").nth(1).wait_for()
        assert row.locator("progress").get_attribute("value") == "3"
        assert "partial" in row.inner_text()
        assert row.locator(".errors li").count() == 1
        assert f"{batch_id}_task_0" in row.locator(".errors").inner_text()
        loaded = page.evaluate(
            f"[...document.querySelectorAll('[data-batch={batch_id}] img')]"
            ".map(i => i.complete && i.naturalWidth)"
        )
        assert loaded == [64, 64]
        screenshot(page, tmp_path / "desktop.png", DESKTOP)
        page.close()


def test_recent_images_show_the_watermark_outcome(
    chromium: Any, fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    layout = LAYOUTS[0]
    marked = encode(watermarked(scene("astronaut", 512, 512), layout))
    fake_gemini.respond_with(lambda r: Reply(text="here", images=[marked]))
    with LiveServer(three_accounts(tmp_path)) as live:
        drawn = httpx.post(
            f"{live.url}/v1/images/generations",
            json={"prompt": "an astronaut <b>bold</b>", "response_format": "url"},
            timeout=60,
        )
        assert drawn.status_code == 200, drawn.text
        page = chromium.new_page(viewport=DESKTOP)
        page.goto(f"{live.url}/console")
        image = page.locator("#images article").first
        image.wait_for()
        # The prompt is shown as text: markup in it is never interpreted.
        assert image.locator(".prompt").inner_text() == "an astronaut <b>bold</b>"
        assert image.locator(".prompt b").count() == 0
        assert f"removed {layout.name}" in image.locator(".watermark").inner_text()
        assert image.locator("img").count() == 1
        page.close()
