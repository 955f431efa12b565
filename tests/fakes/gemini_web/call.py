"""`Call`: what every handler of the fake HTTPS server receives."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from .control import Control, LoggedRequest

CONTROL = web.AppKey("control", Control)


@dataclass(frozen=True)
class Call:
    request: web.Request
    control: Control
    entry: LoggedRequest
    form: dict[str, str]

    @property
    def psid(self) -> str | None:
        return self.request.cookies.get("__Secure-1PSID")

    @property
    def psidts(self) -> str | None:
        return self.request.cookies.get("__Secure-1PSIDTS")
