"""URLs from S3-compatible storage (a real moto server), and a bucket that refuses writes."""

from pathlib import Path

import httpx

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake
from tests.s3 import ACCESS_KEY, BUCKET, SECRET_KEY


def s3_settings(tmp_path: Path, endpoint: str, bucket: str):  # type: ignore[no-untyped-def]
    storage = {
        "type": "s3", "bucket": bucket, "endpoint_url": endpoint, "prefix": "proxy",
        "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY,
        "addressing_style": "path", "max_attempts": 1,
    }  # fmt: skip
    return settings_for_fake(str(tmp_path), storage=storage)


def test_urls_point_into_the_bucket(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, endpoint: str
) -> None:
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(8, 8)]))
    with LiveServer(s3_settings(tmp_path, endpoint, BUCKET)) as live:
        body = {"prompt": "a lighthouse", "response_type": "url"}
        url = httpx.post(f"{live.url}/v1/generate-images", json=body, timeout=30).json()["images"][
            0
        ]
        assert url.startswith(f"{endpoint}/{BUCKET}/proxy/gemini-images/")
        assert httpx.get(url).content == make_png(8, 8)
        metrics = httpx.get(f"{live.url}/metrics").text
        assert 'gemini_proxy_storage_total{backend="s3",result="ok"} 1.0' in metrics
    assert not (tmp_path / "images").exists()


def test_a_bucket_that_refuses_writes_is_a_storage_error_not_an_upstream_one(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, endpoint: str
) -> None:
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(8, 8)]))
    with LiveServer(s3_settings(tmp_path, endpoint, "locked")) as live:
        failed = httpx.post(
            f"{live.url}/v1/generate-images",
            json={"prompt": "x", "response_type": "url"},
            timeout=30,
        )
        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "storage_unavailable"
        detail = failed.json()["detail"]
        assert "Could not store the image" in detail and "locked" in detail
        assert ACCESS_KEY not in failed.text and SECRET_KEY not in failed.text
        # base64 answers do not touch storage and still work
        assert (
            httpx.post(
                f"{live.url}/v1/generate-images", json={"prompt": "x"}, timeout=30
            ).status_code
            == 200
        )
        stats = httpx.get(f"{live.url}/health").json()["task_stats"]
        assert (stats["failed"], stats["completed"]) == (1, 1)
