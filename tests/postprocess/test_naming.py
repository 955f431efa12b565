import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from postprocess.naming import keyword, object_name

NOW = datetime(2025, 12, 26, 10, 31, 53, tzinfo=UTC)


def test_the_name_has_the_documented_form():
    name = object_name("A cyberpunk city at night", b"image bytes", now=NOW)

    assert re.fullmatch(r"gemini-images/20251226_103153_cyberpunk_[0-9a-f]{6}\.png", name)


def test_the_same_inputs_give_the_same_name_and_the_hash_follows_the_bytes():
    first = object_name("cat", b"one", now=NOW)

    assert object_name("cat", b"one", now=NOW) == first
    assert object_name("cat", b"two", now=NOW) != first
    assert object_name("cat", b"two", now=NOW + timedelta(seconds=1)).split("_")[1] == "103154"


def test_a_seed_names_an_image_before_it_exists():
    by_seed = object_name("cat", b"whatever", now=NOW, seed="batch_60bfcf0a/3")

    assert by_seed == object_name("cat", b"other bytes", now=NOW, seed=b"batch_60bfcf0a/3")


def test_prefix_extension_and_time_zone():
    local = datetime(2025, 12, 26, 18, 31, 53, tzinfo=timezone(timedelta(hours=8)))

    name = object_name("猫", b"x", prefix="", mime_type="image/jpeg", now=local)

    assert re.fullmatch(r"20251226_183153_mao_[0-9a-f]{6}\.jpg", name)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("A cyberpunk city at night", "cyberpunk"),
        ("Generate an image of a majestic dragon", "majestic"),
        ("red fox in snow", "red-fox-snow"),
        ("画一只可爱的猫", "keai-mao"),
        ("赛博朋克城市夜景", "saibopengke"),
        ("请帮我生成一张图片", "image"),
        ("Привет мир", "privet-mir"),
        ("Café crème brûlée", "cafe-creme"),
        ("3D render of a robot", "3d-robot"),
        ("", "image"),
        ("!!! ???", "image"),
        ("x" * 100, "x" * 32),
    ],
)
def test_keywords_are_ascii_slugs_of_the_first_meaningful_words(prompt, expected):
    assert keyword(prompt) == expected
