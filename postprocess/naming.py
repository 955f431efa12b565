"""Object names: `{prefix}/{YYYYMMDD_HHMMSS}_{keyword}_{hash6}.{ext}`, greppable by prompt word."""

import hashlib
import re
from datetime import UTC, datetime

from anyascii import anyascii

DEFAULT_PREFIX = "gemini-images"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_STORED_EXTENSIONS = "|".join([*EXTENSIONS.values(), "bin"])
_STORED_NAME = re.compile(rf"\d{{8}}_\d{{6}}_[a-z0-9-]+_[0-9a-f]{{6}}\.(?:{_STORED_EXTENSIONS})")
_ENOUGH_LETTERS = 8  # stop adding words once the keyword has this many letters
_MAX_WORDS = 4
_CJK_CHARACTERS = 4  # a run of CJK text has no spaces: keep its first few characters
_MAX_LENGTH = 32
# Request filler that says nothing about the picture, in English and Chinese.
_STOPWORD_TEXT = (
    "a an the of in on at to for with and or by from into is are be please pls can could would "
    "you me my i draw paint generate create make render show give picture image photo photograph "
    "illustration art artwork style some this that"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_CHINESE_FILLER = re.compile(
    r"请|帮我|给我|为我|帮忙|生成|绘制|创作|画|做|来|一张|一幅|一个|一只|一位|一条|一座|一些|"
    r"图片|图像|照片|插画|的|了|吧"
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _slug_word(word: str) -> str:
    if any(ord(char) >= 0x2E80 for char in word):  # CJK, kana, hangul: one syllable per char
        word = "".join(anyascii(char) for char in word[:_CJK_CHARACTERS])
    return _NOT_SLUG.sub("", anyascii(word).lower())


def keyword(prompt: str) -> str:
    """An ASCII slug of the prompt's first meaningful word(s), e.g. "cyberpunk"; "image" if none.

    Other scripts are transliterated (anyascii): "赛博朋克城市夜景" gives "saibopengke".
    """
    words: list[str] = []
    for match in re.finditer(r"\w+", _CHINESE_FILLER.sub(" ", prompt)):
        if match.group().lower() in _STOPWORDS:
            continue
        word = _slug_word(match.group())
        if word:
            words.append(word)
        if sum(map(len, words)) >= _ENOUGH_LETTERS or len(words) >= _MAX_WORDS:
            break
    return "-".join(words)[:_MAX_LENGTH].strip("-") or "image"


def is_stored_name(name: str) -> bool:
    """A file name `object_name` makes (its last part): retention deletes nothing else, so a
    shared folder or bucket keeps what is not ours."""
    return _STORED_NAME.fullmatch(name) is not None


def object_name(
    prompt: str,
    data: bytes,
    *,
    prefix: str = DEFAULT_PREFIX,
    mime_type: str = "image/png",
    now: datetime | None = None,
    seed: str | bytes | None = None,
) -> str:
    """`{prefix}/{YYYYMMDD_HHMMSS}_{keyword}_{hash6}.{ext}`.

    The hash is of `seed` when given (callers that must name an image before it exists), else
    of `data`. `now` defaults to the current UTC time; tests pass a fixed one.
    """
    moment = (now or datetime.now(UTC)).strftime("%Y%m%d_%H%M%S")
    source = seed.encode() if isinstance(seed, str) else seed if seed is not None else data
    digest = hashlib.sha256(source).hexdigest()[:6]
    extension = EXTENSIONS.get(mime_type, "bin")
    name = f"{moment}_{keyword(prompt)}_{digest}.{extension}"
    return f"{prefix.strip('/')}/{name}" if prefix.strip("/") else name
