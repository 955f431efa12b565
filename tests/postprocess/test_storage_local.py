import os
import time

import pytest

from postprocess import LocalStorage, StorageError, build_storage


async def test_put_returns_a_url_under_the_request_base(tmp_path):
    storage = LocalStorage(tmp_path)

    url = await storage.put("gemini-images/a.png", b"png", "image/png", "http://host:8100/")

    assert url == "http://host:8100/images/gemini-images/a.png"
    assert (tmp_path / "gemini-images" / "a.png").read_bytes() == b"png"
    assert storage.path("gemini-images/a.png") == (tmp_path / "gemini-images" / "a.png").resolve()


async def test_a_configured_public_url_and_path_win(tmp_path):
    storage = LocalStorage(tmp_path, url_path="files/", public_base_url="https://img.example/")

    url = await storage.put("x y.png", b"png", "image/png", "http://ignored")

    assert url == "https://img.example/files/x%20y.png"


@pytest.mark.parametrize(
    "name",
    [
        "../escape.png",
        "a/../../escape.png",
        "/etc/passwd",
        "a\\..\\b.png",
        "C:/windows.png",
        "",
        "a//b.png",
        "./a.png",
        "a/..",
        "nul\x00.png",
    ],
)
async def test_names_that_could_escape_are_rejected(tmp_path, name):
    storage = LocalStorage(tmp_path / "images")

    with pytest.raises(StorageError, match="name"):
        await storage.put(name, b"x", "image/png", "http://h")
    with pytest.raises(StorageError):
        storage.path(name)
    assert not any(tmp_path.rglob("*.png"))


async def test_a_symlink_out_of_the_directory_is_rejected(tmp_path):
    root = tmp_path / "images"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)

    with pytest.raises(StorageError, match="escapes"):
        await LocalStorage(root).put("link/x.png", b"x", "image/png", "http://h")


async def test_same_bytes_again_is_a_no_op_and_new_bytes_replace(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path)
    await storage.put("a.png", b"one", "image/png", "")
    writes = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda *a: (writes.append(a), real_replace(*a)))

    await storage.put("a.png", b"one", "image/png", "")
    assert writes == []
    await storage.put("a.png", b"two", "image/png", "")
    assert len(writes) == 1 and (tmp_path / "a.png").read_bytes() == b"two"
    assert oct((tmp_path / "a.png").stat().st_mode & 0o777) == oct(0o644)


async def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path)
    await storage.put("a.png", b"old", "image/png", "")

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    for name in ("a.png", "b.png"):
        with pytest.raises(StorageError, match="No space left"):
            await storage.put(name, b"new bytes", "image/png", "")

    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.png"]
    assert (tmp_path / "a.png").read_bytes() == b"old"


def test_build_storage_defaults_to_local(tmp_path):
    storage = build_storage({"directory": str(tmp_path)})
    assert isinstance(storage, LocalStorage) and storage.directory == tmp_path


async def test_retention_deletes_only_its_own_images_written_before_the_cutoff(tmp_path):
    storage = LocalStorage(tmp_path, fsync=False)
    old_name, new_name = "20251001_120000_cat_0a1b2c.png", "20251101_120000_dog_3d4e5f.jpg"
    await storage.put(f"ours/2025/{old_name}", b"old", "image/png", "http://x")
    await storage.put(f"ours/{new_name}", b"new", "image/png", "http://x")
    await storage.put(f"theirs/{old_name}", b"old", "image/png", "http://x")
    (tmp_path / "ours" / "holiday.png").write_bytes(b"an image someone else put there")
    (tmp_path / "ours" / "notes.txt").write_bytes(b"not an image of ours")
    writing = tmp_path / "ours" / f".{new_name}.part"
    writing.write_bytes(b"partial")
    long_ago = time.time() - 40 * 86400
    old = [tmp_path / f"ours/2025/{old_name}", tmp_path / f"theirs/{old_name}", writing]
    for path in [*old, tmp_path / "ours" / "notes.txt", tmp_path / "ours" / "holiday.png"]:
        os.utime(path, (long_ago, long_ago))

    assert await storage.forget_before(time.time() - 30 * 86400, "ours") == 1
    assert not (tmp_path / f"ours/2025/{old_name}").exists()
    kept = [
        f"ours/{new_name}", f"theirs/{old_name}", "ours/notes.txt", "ours/holiday.png",
        f"ours/.{new_name}.part",
    ]  # fmt: skip
    assert all((tmp_path / name).exists() for name in kept)
