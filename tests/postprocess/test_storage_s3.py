import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from postprocess import PipelineConfigError, StorageError, build_storage
from postprocess.storage.s3 import S3Storage
from tests.s3 import ACCESS_KEY, BUCKET, SECRET_KEY


def storage(endpoint: str, **options) -> S3Storage:
    settings = {
        "bucket": BUCKET,
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "addressing_style": "path",
        "max_attempts": 1,
        **options,
    }
    return S3Storage(**settings)


def assert_no_credentials(error: StorageError) -> None:
    for text in (str(error), repr(error)):
        assert ACCESS_KEY not in text and SECRET_KEY not in text
    assert error.__cause__ is None and error.__suppress_context__


async def test_put_then_download_over_http(endpoint):
    store = storage(endpoint, prefix="proxy/")
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64

    url = await store.put("gemini-images/20250101_000000_cat_abc123.png", data, "image/png", "")

    assert url == f"{endpoint}/{BUCKET}/proxy/gemini-images/20250101_000000_cat_abc123.png"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.read() == data
        assert response.headers["Content-Type"] == "image/png"


def test_url_forms():
    public = S3Storage("b", public_url_base="https://cdn.example/img/", prefix="p")
    assert public.url("a/b c.png") == "https://cdn.example/img/p/a/b%20c.png"
    aws = S3Storage("bkt", region="eu-west-1", addressing_style="virtual")
    assert aws.url("a.png") == "https://bkt.s3.eu-west-1.amazonaws.com/a.png"
    minio = S3Storage("bkt", endpoint_url="http://minio:9000/", addressing_style="virtual")
    assert minio.url("a.png") == "http://bkt.minio:9000/a.png"


async def test_a_missing_bucket_is_a_clear_storage_error(endpoint):
    store = storage(endpoint, bucket="no-such-bucket")

    with pytest.raises(StorageError, match="NoSuchBucket") as caught:
        await store.put("a.png", b"x", "image/png", "")

    assert "no-such-bucket" in str(caught.value)
    assert_no_credentials(caught.value)


async def test_a_bucket_that_refuses_writes_is_a_clear_storage_error(endpoint):
    with pytest.raises(StorageError, match=r"upload of 'a\.png'.*locked") as caught:
        await storage(endpoint, bucket="locked").put("a.png", b"x", "image/png", "")

    assert_no_credentials(caught.value)


async def test_an_unreachable_endpoint_is_a_clear_storage_error():
    store = storage("http://127.0.0.1:9", timeout=2)

    with pytest.raises(StorageError, match="Could not connect") as caught:
        await store.put("a.png", b"x", "image/png", "")

    assert_no_credentials(caught.value)


async def test_credentials_in_a_server_message_are_scrubbed(endpoint, monkeypatch):
    store = storage(endpoint)

    def leak(**kwargs):
        error = {"Code": "SignatureDoesNotMatch", "Message": f"bad key {ACCESS_KEY}"}
        raise ClientError({"Error": error}, "PutObject")

    monkeypatch.setattr(store._client, "put_object", leak)
    with pytest.raises(StorageError, match=r"bad key \*\*\*") as caught:
        await store.put("a.png", b"x", "image/png", "")
    assert_no_credentials(caught.value)


def test_build_storage_makes_s3_and_rejects_unknown_types(endpoint):
    assert isinstance(build_storage({"type": "s3", "bucket": BUCKET}), S3Storage)
    with pytest.raises(PipelineConfigError, match="unknown storage type"):
        build_storage({"type": "ftp"})


async def test_retention_deletes_only_its_own_objects_written_before_the_cutoff(endpoint):
    s3 = storage(endpoint, prefix="retention")
    ours = ("20251001_120000_cat_0a1b2c.png", "20251001_120000_dog_3d4e5f.jpg")
    names = [f"ours/{n}" for n in ours] + ["ours/notes.txt", "ours/holiday.png"]
    for name in [*names, f"theirs/{ours[0]}"]:
        await s3.put(name, b"x", "image/png", "")
    assert await s3.forget_before(time.time() - 3600, "ours") == 0  # all newer than an hour
    # Our images, not the notes nor an image someone else named.
    assert await s3.forget_before(time.time() + 60, "ours") == 2
    assert await s3.forget_before(time.time() + 60, "ours") == 0
    assert await s3.forget_before(time.time() + 60, "theirs") == 1  # untouched until asked
