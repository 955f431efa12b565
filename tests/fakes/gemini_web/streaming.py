"""StreamGenerate: decode the call, pick a reply, stream it frame by frame with chunked transfer.

A turn is streamed like the real service does it: a metadata frame (`[cid, rid]`), growing
candidate frames (`[8]=[1]`), the final candidate (`[8]=[2]`, images attached), and the same
candidate again with the context blob (`j[25]`). Injected stream faults cut in after a given
number of candidate frames. The client hangs up after an error frame or a `close()`: writes
that then fail are expected and ignored.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import media, wire
from .call import Call
from .control import Control
from .faults import Fault, HttpError, Stall, StreamError, Target
from .media import Kind
from .replies import FakeRequest, Reply, UploadedFile

GENERATE_PATH = "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate"
MODEL_HEADER = "x-goog-ext-525001261-jspb"
_UNKNOWN_MODEL = StreamError(1052)  # what Google says to a model id the account does not have
_GENERATED_LINK = "http://googleusercontent.com/image_generation_content/{}"
_WEB_LINK = "http://googleusercontent.com/image_collection/image_retrieval/{}"


async def stream_generate(call: Call) -> web.StreamResponse:
    with call.control.generate_open(call.psid, lambda: not _hung_up(call.request)):
        return await _generate(call)


async def _generate(call: Call) -> web.StreamResponse:
    control = call.control
    if control.is_expired(call.psid, call.psidts):
        return web.Response(status=401)
    fault = control.take_fault(Target.GENERATE, call.psid)
    if isinstance(fault, HttpError):
        return web.Response(status=fault.status)
    request = decode(call)
    control.record_generate(request)
    if request.model is None:
        fault = _UNKNOWN_MODEL
    if isinstance(fault, StreamError) and fault.after_frames == 0:
        # Nothing of the reply would be sent, so a scripted reply stays queued for the retry.
        return await _stream(call, None, fault)
    reply = await asyncio.to_thread(control.next_reply, request)
    return await _stream(call, Turn.build(control, request, reply), fault)


def decode(call: Call) -> FakeRequest:
    inner = wire.generate_inner(call.form)
    message = inner[0]
    header = call.request.headers.get(MODEL_HEADER)
    model_id = json.loads(header)[4] if header else None
    files = tuple(_uploaded(call.control, ref) for ref in (message[3] or ()))
    reqid = call.request.query.get("_reqid", "")
    return FakeRequest(
        received_at=time.monotonic(),
        client=int(reqid) % 100000 if reqid.isdigit() else None,
        prompt=message[0],
        model_id=model_id,
        model=call.control.catalogue_for(call.psid).find(model_id),
        files=files,
        psid=call.psid,
        psidts=call.psidts,
        chat_metadata=tuple(inner[2] or ()),
        extended_thinking=inner[80] == 2,
        temporary=inner[45] == 1,
        gem_id=inner[19],
        inner=tuple(inner),
    )


def _uploaded(control: Control, ref: list[Any]) -> UploadedFile:
    """A `[[upload_id], filename]` reference, resolved through the upload log when known."""
    upload_id, filename = ref[0][0], ref[1]
    mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return control.upload(upload_id) or UploadedFile(upload_id, filename, mime, b"")


@dataclass(frozen=True)
class Turn:
    """A reply laid out as frames: ids, the candidate of each step, the finished candidate.

    Building one stores its images and, unless the turn is meant to be lost, the finished turn
    in history (hNvQHb) right away, as Google finishes turns whatever happens to the stream.
    """

    reply: Reply
    cid: str
    rid: str
    candidates: list[list[Any]]
    final: list[Any]

    @classmethod
    def build(cls, control: Control, request: FakeRequest, reply: Reply) -> Turn:
        cid = reply.cid if reply.cid is not None else request.cid or control.new_id("c_fake")
        rid = reply.rid or control.new_id("r_fake")
        rcid = reply.rcid or control.new_id("rc_fake")
        generated, web_pictures = reply.pictures()
        image_ids = [_GENERATED_LINK.format(i) for i in range(len(generated))]
        generated_specs = [
            (media.url(Kind.PREVIEW, control.add_picture(p, (rcid, image_id))), p.alt, image_id)
            for p, image_id in zip(generated, image_ids, strict=True)
        ]
        web_specs = [(media.url(Kind.WEB, control.add_picture(p)), p.alt) for p in web_pictures]
        # Real replies carry placeholder links where attachments go; the client strips them.
        links = image_ids + [_WEB_LINK.format(i) for i in range(len(web_pictures))]
        final_text = reply.text + "".join(f"\n\n{link}\n" for link in links)
        steps = reply.steps()

        def finished(done: bool) -> list[Any]:
            return wire.candidate(
                rcid,
                final_text,
                done=done,
                thoughts=steps[-1][1],
                web_images=web_specs,
                generated_images=generated_specs,
            )

        candidates = [wire.candidate(rcid, text, done=False, thoughts=th) for text, th in steps]
        candidates[-1] = finished(reply.complete)
        if reply.complete or reply.recoverable:
            control.add_turn(cid, [[cid, rid], None, [[request.prompt]], [[finished(True)]]])
        return cls(reply, cid, rid, candidates, finished(True))


async def _stream(call: Call, turn: Turn | None, fault: Fault | None) -> web.StreamResponse:
    control = call.control
    response = web.StreamResponse(headers={"Content-Type": "application/json; charset=utf-8"})
    await response.prepare(call.request)
    call.entry.status = response.status
    epoch = control.epoch
    cid, rid = (turn.cid, turn.rid) if turn else ("", "")
    frames = [wire.stream_frame(wire.inner(cid, rid, [c])) for c in turn.candidates] if turn else []
    cut = fault.after_frames if isinstance(fault, StreamError | Stall) else len(frames)
    delay = turn.reply.frame_delay if turn else 0.0
    try:
        await asyncio.sleep(control.latency)
        await response.write(
            (wire.XSSI_PREFIX + "\n" + wire.stream_frame(wire.inner(cid, rid))).encode()
        )
        await _send(response, frames[:cut], delay)
        if isinstance(fault, StreamError | Stall) and await _inject(fault, call, response, epoch):
            return response
        await _send(response, frames[cut:], delay)
        if turn and turn.reply.complete:
            context = f"!fakeContext-{cid}-{rid}"
            await _send(
                response, [wire.stream_frame(wire.inner(cid, rid, [turn.final], context))], 0
            )
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client hung up mid-stream (after an error frame or a close()): expected
    return response


async def _send(response: web.StreamResponse, frames: list[str], delay: float) -> None:
    for frame in frames:
        await asyncio.sleep(delay)
        await response.write(frame.encode())


async def _inject(
    fault: StreamError | Stall, call: Call, response: web.StreamResponse, epoch: int
) -> bool:
    """Apply a stream fault; True when the stream ends with it."""
    if isinstance(fault, StreamError):
        await response.write(wire.error_frame(fault.code).encode())
        await response.write_eof()
        return True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (fault.seconds if fault.seconds is not None else float("inf"))
    beat = fault.keepalive or float("inf")
    next_beat = loop.time() + beat
    # Polled rather than awaited on an event: reset() and stop() come from another thread.
    while loop.time() < deadline and call.control.epoch == epoch and not _hung_up(call.request):
        await asyncio.sleep(min(0.02, max(deadline - loop.time(), 0)))
        if loop.time() >= next_beat:
            await response.write(b"\n")
            next_beat += beat
    return False


def _hung_up(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()
