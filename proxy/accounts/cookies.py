"""Cookies as people have them -> the two values an account needs.

Accepted: the two values themselves; a Netscape `cookies.txt` (tab-separated: domain, flag,
path, secure, expiry, name, value); or the JSON array a browser cookie-export extension writes
(objects with `name`, `value`, `domain`, ...). Only `__Secure-1PSID` and `__Secure-1PSIDTS` of
`.google.com` are picked out; nothing else is kept.
"""

import json
from dataclasses import dataclass
from typing import Any

PSID = "__Secure-1PSID"
PSIDTS = "__Secure-1PSIDTS"
_WANTED = (PSID, PSIDTS)


class CookieFormatError(ValueError):
    """The text holds no usable Google session cookies; the message says what is missing."""


@dataclass(frozen=True)
class GoogleCookies:
    psid: str
    psidts: str | None

    def __repr__(self) -> str:  # never print the values
        return "GoogleCookies(<hidden>)"


def _google(domain: str) -> bool:
    return domain.lstrip(".") == "google.com"


def _checked(found: dict[str, str], source: str) -> GoogleCookies:
    if PSID not in found:
        raise CookieFormatError(f"no {PSID} cookie for .google.com in the {source}")
    for name, value in found.items():
        if not value or any(c in value for c in ";\r\n\t ") or not value.isprintable():
            raise CookieFormatError(f"{name} in the {source} is not a valid cookie value")
    return GoogleCookies(found[PSID], found.get(PSIDTS))


def from_values(psid: str, psidts: str | None) -> GoogleCookies:
    found = {PSID: psid.strip()} | ({PSIDTS: psidts.strip()} if psidts else {})
    return _checked(found, "given values")


def from_netscape(text: str) -> GoogleCookies:
    found: dict[str, str] = {}
    for line in text.splitlines():
        # `#HttpOnly_` marks HttpOnly cookies; other `#` lines are comments.
        line = line.removeprefix("#HttpOnly_")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 7:
            raise CookieFormatError("not a Netscape cookies.txt: a line does not have 7 fields")
        domain, _, _, _, _, name, value = fields
        if name in _WANTED and _google(domain):
            found[name] = value
    return _checked(found, "cookies.txt")


def from_export_json(text: str) -> GoogleCookies:
    try:
        entries: Any = json.loads(text)
    except json.JSONDecodeError:
        raise CookieFormatError("not valid JSON") from None
    if isinstance(entries, dict) and isinstance(entries.get("cookies"), list):
        entries = entries["cookies"]
    if not isinstance(entries, list):
        raise CookieFormatError("a cookie export is a JSON array of cookie objects")
    found: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise CookieFormatError("a cookie export holds objects with name and value")
        name, value, domain = entry.get("name"), entry.get("value"), entry.get("domain", "")
        if name in _WANTED and isinstance(value, str) and _google(str(domain)):
            found[str(name)] = value
    return _checked(found, "cookie export")


def parse_cookie_text(text: str) -> GoogleCookies:
    """A `cookies.txt` or a JSON export, told apart by their first character."""
    stripped = text.lstrip("\ufeff \r\n\t")
    if stripped.startswith(("[", "{")):
        return from_export_json(stripped)
    return from_netscape(stripped)
