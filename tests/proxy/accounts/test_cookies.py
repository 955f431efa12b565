"""Cookies as browsers export them -> the two values an account needs, and nothing else."""

import json

import pytest

from proxy.accounts.cookies import CookieFormatError, from_values, parse_cookie_text

NETSCAPE = "\n".join(
    [
        "# Netscape HTTP Cookie File",
        ".google.com\tTRUE\t/\tTRUE\t1790000000\tNID\tother-cookie",
        "#HttpOnly_.google.com\tTRUE\t/\tTRUE\t1790000000\t__Secure-1PSID\tg.a000psid",
        ".google.com\tTRUE\t/\tTRUE\t1790000000\t__Secure-1PSIDTS\tsidts-CjEB",
        ".youtube.com\tTRUE\t/\tTRUE\t1790000000\t__Secure-1PSID\tnot-this-one",
    ]
)
EXPORT = [
    {"name": "SID", "value": "other", "domain": ".google.com"},
    {"name": "__Secure-1PSID", "value": "g.a000psid", "domain": ".google.com", "path": "/"},
    {"name": "__Secure-1PSIDTS", "value": "sidts-CjEB", "domain": "google.com"},
    {"name": "__Secure-1PSIDTS", "value": "elsewhere", "domain": ".example.com"},
]


@pytest.mark.parametrize("text", [NETSCAPE, json.dumps(EXPORT), json.dumps({"cookies": EXPORT})])
def test_the_two_google_cookies_are_picked_out(text: str) -> None:
    cookies = parse_cookie_text(text)
    assert (cookies.psid, cookies.psidts) == ("g.a000psid", "sidts-CjEB")
    assert "g.a000psid" not in repr(cookies) and "sidts" not in repr(cookies)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "no __Secure-1PSID"),
        ("just some text", "7 fields"),
        (".google.com\tTRUE\t/\tTRUE\t0\tNID\tx", "no __Secure-1PSID"),
        ("[1, 2]", "objects"),
        ('{"name": "x"}', "array"),
        ("[{", "not valid JSON"),
        (
            json.dumps([{"name": "__Secure-1PSID", "value": "a b", "domain": ".google.com"}]),
            "valid",
        ),
    ],
)
def test_malformed_exports_are_refused_with_the_reason(text: str, needle: str) -> None:
    with pytest.raises(CookieFormatError, match=needle):
        parse_cookie_text(text)


def test_given_values_are_checked_too() -> None:
    assert from_values(" g.a000psid ", None).psidts is None
    with pytest.raises(CookieFormatError):
        from_values("", "x")
    with pytest.raises(CookieFormatError):
        from_values("g.a;b", None)
