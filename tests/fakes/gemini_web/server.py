"""The fake HTTPS server: one aiohttp app for every Google host, dispatching on `Host`.

Routes are data (`ROUTES`); each handler gets a `Call` (request, control, log entry, decoded
form). StreamGenerate lives in `streaming.py`. Every request is logged before it is handled.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from . import media, wire
from .call import CONTROL, Call
from .control import REJECT, Control, LoggedRequest
from .faults import HttpError, Target
from .streaming import GENERATE_PATH, stream_generate

ACCESS_TOKEN = "AFakeSNlM0eToken:1700000000000"
BUILD_LABEL = "boq_assistant-bard-web-server_20260101.00_p0"
SESSION_ID = "-1234567890123456789"
PUSH_ID = "feeds/fakepushid123"

# What the client's regexes look for in `/app` (spec 3.2); a page without them fails the attempt.
# Like Google's, the page's own script rotates the session: in a browser it calls RotateCookies,
# whose `Set-Cookie` brings a fresh `__Secure-1PSIDTS`. A client that only reads the HTML (the
# library, which sends the same navigation headers as Chrome) runs no script and mints nothing.
ROTATE_SCRIPT = (
    'fetch("https://accounts.google.com/RotateCookies", {method: "POST", mode: "no-cors", '
    'credentials: "include", body: \'[000,"-0000000000000000000"]\'});'
)
APP_PAGE = (
    "<!doctype html><html><head><script>window.WIZ_global_data = "
    f'{{"SNlM0e": "{ACCESS_TOKEN}", "cfb2h": "{BUILD_LABEL}", "FdrFJe": "{SESSION_ID}", '
    f'"TuX5cc": "en", "qKIAYe": "{PUSH_ID}"}};</script><script>{ROTATE_SCRIPT}</script>'
    "</head><body>Gemini</body></html>"
)
SIGNED_OUT_PAGE = "<!doctype html><html><body>Sign in to continue to Gemini</body></html>"


def _status_fault(call: Call, target: Target, rpcid: str | None = None) -> web.Response | None:
    fault = call.control.take_fault(target, call.psid, rpcid)
    return web.Response(status=fault.status) if isinstance(fault, HttpError) else None


async def app_page(call: Call) -> web.StreamResponse:
    if failed := _status_fault(call, Target.APP):
        return failed
    page = SIGNED_OUT_PAGE if call.control.is_expired(call.psid, call.psidts) else APP_PAGE
    return web.Response(text=page, content_type="text/html")


async def batchexecute(call: Call) -> web.StreamResponse:
    rpcs = wire.batch_rpcs(call.form)
    if failed := _status_fault(call, Target.BATCH, rpcs[0][0] if rpcs else None):
        return failed
    envelopes = [_rpc_answer(call, rpcid, payload) for rpcid, payload in rpcs]
    return web.Response(text=wire.batch_body(envelopes), content_type="application/json")


def _rpc_answer(call: Call, rpcid: str, payload: Any) -> list[Any]:
    control = call.control
    if rpcid == "otAQ7b":
        return wire.rpc_envelope(rpcid, control.catalogue_for(call.psid).user_status_body())
    if rpcid == "c8o8Fe":  # payload: [[.., [image_id, 0], ..], [rid, rcid, cid, null, ""], 1, 0, 1]
        token = control.full_size_token(_dig(payload, 1, 1), _dig(payload, 0, 1, 0))
        return wire.rpc_envelope(rpcid, [media.url(media.Kind.ORIGINAL, token)] if token else [])
    if rpcid == "hNvQHb":  # payload: [cid, limit, ...]
        limit = _dig(payload, 1)
        turns = control.turns(str(_dig(payload, 0)), limit if isinstance(limit, int) else 10)
        return wire.rpc_envelope(rpcid, [turns])
    body = control.rpc_body(rpcid)
    return wire.rpc_reject_envelope(rpcid) if body is REJECT else wire.rpc_envelope(rpcid, body)


def _dig(value: Any, *path: int) -> Any:
    for index in path:
        if not isinstance(value, list) or not -len(value) <= index < len(value):
            return None
        value = value[index]
    return value


async def rotate_cookies(call: Call) -> web.StreamResponse:
    if call.control.is_expired(call.psid, call.psidts):
        return web.Response(status=401)
    if failed := _status_fault(call, Target.ROTATE):
        return failed
    response = web.Response(text="[]", content_type="application/json")
    minted = call.control.mint(call.psid)
    if minted is None:  # answered, but without a new cookie
        return response
    response.set_cookie(
        "__Secure-1PSIDTS",
        minted,
        domain=".google.com",
        path="/",
        max_age=365 * 24 * 3600,
        secure=True,
        httponly=True,
    )
    return response


async def preflight(call: Call) -> web.StreamResponse:
    # No Set-Cookie: a failed init then ends in AuthError instead of extra guest attempts.
    return web.Response(
        text="<!doctype html><html><body>Google</body></html>", content_type="text/html"
    )


async def upload(call: Call) -> web.StreamResponse:
    reader = await call.request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "file":
            data = bytes(await part.read(decode=False))
            mime = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
            filename = part.filename or ""
            break
    else:
        return web.Response(status=400, text="no file part")
    # The body is read first so that an injected status never races the client's upload.
    if failed := _status_fault(call, Target.UPLOAD):
        return failed
    uploaded = call.control.add_upload(filename, mime, data)
    return web.Response(text=uploaded.upload_id, content_type="text/plain")


async def lh3(call: Call) -> web.StreamResponse:
    parsed = media.parse_path(call.request.path)
    picture = call.control.picture(parsed[1]) if parsed else None
    if parsed is None or picture is None:
        return web.Response(status=404)
    kind, token, variant = parsed
    if kind is media.Kind.ORIGINAL:
        failed = _status_fault(call, Target.IMAGE_FULL_SIZE)
        return failed or web.Response(text=media.url(media.Kind.STEP2, token))
    if kind is media.Kind.STEP2:
        return web.Response(text=media.url(media.Kind.FINAL, token))
    if failed := _status_fault(call, Target.IMAGE):
        return failed
    data = picture.preview_data if media.wants_preview(kind, variant) else picture.data
    return web.Response(body=data, content_type=media.content_type(data))


Handler = Callable[[Call], Awaitable[web.StreamResponse]]

ROUTES: dict[tuple[str, str, str], Handler] = {
    ("gemini.google.com", "GET", "/app"): app_page,
    ("gemini.google.com", "POST", "/_/BardChatUi/data/batchexecute"): batchexecute,
    ("gemini.google.com", "POST", GENERATE_PATH): stream_generate,
    ("accounts.google.com", "POST", "/RotateCookies"): rotate_cookies,
    ("www.google.com", "GET", "/"): preflight,
    ("content-push.googleapis.com", "POST", "/upload"): upload,
}


def _route(host: str, method: str, path: str) -> Handler | None:
    if host == "lh3.googleusercontent.com" and method == "GET":
        return lh3
    return ROUTES.get((host, method, path))


async def dispatch(request: web.Request) -> web.StreamResponse:
    control = request.app[CONTROL]
    host = request.host.rsplit(":", 1)[0].lower()
    form = (
        wire.parse_form(await request.read())
        if host == "gemini.google.com" and request.method == "POST"
        else {}
    )
    entry = LoggedRequest(
        t=time.monotonic(),
        host=host,
        method=request.method,
        path=request.path,
        query=dict(request.query),
        rpcid=request.query.get("rpcids"),
        form=form,
        headers={k: v for k, v in request.headers.items() if k.lower() != "cookie"},
        psid=request.cookies.get("__Secure-1PSID"),
    )
    control.log(entry)
    handler = _route(host, request.method, request.path)
    if handler is None:
        entry.status = 404
        return web.Response(status=404)
    try:
        response = await handler(Call(request, control, entry, form))
    except Exception:
        # A bug in the fake or in a test's responder: make it visible in `errors` and the log.
        control.record_error(f"{request.method} {host}{request.path}\n{traceback.format_exc()}")
        raise
    entry.status = entry.status or response.status
    return response


def build_app(control: Control) -> web.Application:
    app = web.Application(client_max_size=256 * 1024 * 1024)
    app[CONTROL] = control
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
