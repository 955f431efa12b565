"""The behaviour/control object: what the fake answers, which failures it injects, what it saw.

Tests call it from their own thread while the server runs on the fake's loop thread, so every
piece of state sits behind one lock and every reader gets a copy. `reset()` restores defaults.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .catalogue import DEFAULT_CATALOGUE, DEFAULT_RPC_BODIES, Catalogue
from .faults import Fault, HttpError, Rule, Stall, StreamError, Target, take
from .replies import FakeRequest, Picture, Reply, Responder, UploadedFile, echo

REJECT = object()
"""`set_rpc_body(rpcid, REJECT)` answers that RPC with a permission-denied envelope (`[7]`)."""


@dataclass
class LoggedRequest:
    """One request the HTTPS server received. `headers` exclude `Cookie`; `psid` is the
    `__Secure-1PSID` cookie (None on hosts the client sends no cookies to); `status` is set once
    the response starts (None while a handler is still deciding)."""

    t: float
    host: str
    method: str
    path: str
    query: dict[str, str]
    rpcid: str | None
    form: dict[str, str]
    headers: dict[str, str] = field(repr=False)
    psid: str | None
    status: int | None = None


class Control:
    """Behaviour and records of the fake (the package docstring gives the overview)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)  # never reset, so ids stay unique across tests
        self._epoch = 0
        self._defaults()

    def _defaults(self) -> None:
        self._responder: Responder | None = None
        self._script: deque[Reply | str] = deque()
        self._rules: list[Rule] = []
        self._expired: set[tuple[str, str]] = set()
        self._catalogue = DEFAULT_CATALOGUE
        self._catalogues: dict[str, Catalogue] = {}
        self._rpc_bodies: dict[str, Any] = dict(DEFAULT_RPC_BODIES)
        self._latency = 0.0
        self._log: list[LoggedRequest] = []
        self._connects: list[str] = []
        self._generate_requests: list[FakeRequest] = []
        self._uploads: dict[str, UploadedFile] = {}
        self._pictures: dict[str, Picture] = {}
        self._full_size: dict[tuple[str, str], str] = {}
        self._history: dict[str, list[list[Any]]] = {}
        self._errors: list[str] = []
        self._in_flight: dict[str, int] = {}
        self._peak_in_flight: dict[str, int] = {}

    def reset(self) -> None:
        """Back to defaults: echo responder, no faults, default catalogue, empty records.
        Releases stalled streams."""
        with self._lock:
            self._defaults()
        self.release_stalls()

    def release_stalls(self) -> None:
        """End every stall now (their streams go on with the rest of their reply)."""
        with self._lock:
            self._epoch += 1

    # -- behaviour ------------------------------------------------------------------------------

    def respond_with(self, responder: Responder | None) -> None:
        """Answer generate calls with `responder(FakeRequest) -> Reply | str` (None: echo).
        It runs in a worker thread, so it may block (e.g. on an Event the test controls)."""
        with self._lock:
            self._responder = responder

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next generate calls; they win over the responder until used."""
        with self._lock:
            self._script.extend(replies)

    def fail(
        self,
        target: Target | str,
        status: int,
        *,
        psid: str | None = None,
        times: int | None = 1,
        rpcid: str | None = None,
    ) -> None:
        """Answer the next `times` requests to `target` (of account `psid`; batchexecute: of
        `rpcid`) with HTTP `status`. `times=None`: until reset. A non-200 batchexecute during
        `init()` deadlocks the client (spec 5): aim those at RPCs called after init."""
        self._add(Rule(Target(target), HttpError(status), psid, times, rpcid))

    def fail_stream(
        self, code: int, *, after_frames: int = 0, psid: str | None = None, times: int | None = 1
    ) -> None:
        """Send error frame `code` in the next `times` generate streams, after `after_frames`
        candidate frames (0: before any text)."""
        self._add(Rule(Target.GENERATE, StreamError(code, after_frames), psid, times))

    def stall(
        self,
        *,
        after_frames: int = 0,
        seconds: float | None = None,
        keepalive: float | None = None,
        psid: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Hold the next `times` generate streams after `after_frames` candidate frames (see
        `Stall`); the metadata frame, which carries the cid, always goes out first."""
        self._add(Rule(Target.GENERATE, Stall(after_frames, seconds, keepalive), psid, times))

    def expire(self, *, psid: str | None = None, psidts: str | None = None) -> None:
        """Mark cookies invalid: a PSID (every session of it) or one PSIDTS value. `/app` then
        serves a page without tokens, StreamGenerate and RotateCookies answer 401."""
        if psid is None and psidts is None:
            raise ValueError("expire() needs psid or psidts")
        with self._lock:
            if psid is not None:
                self._expired.add(("psid", psid))
            if psidts is not None:
                self._expired.add(("psidts", psidts))

    def set_catalogue(self, catalogue: Catalogue, *, psid: str | None = None) -> None:
        """What `otAQ7b` publishes: for every account, or only for account `psid`."""
        with self._lock:
            if psid is None:
                self._catalogue = catalogue
            else:
                self._catalogues[psid] = catalogue

    def set_rpc_body(self, rpcid: str, body: Any) -> None:
        """Override the body of a batchexecute RPC (e.g. `aPya6c`, `GPRiHf`); `REJECT` denies it.
        otAQ7b, c8o8Fe and hNvQHb are computed: use `set_catalogue`, replies and history."""
        with self._lock:
            self._rpc_bodies[rpcid] = body

    @property
    def latency(self) -> float:
        """Seconds every generate stream waits before its first frame (for benchmarks)."""
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._latency = seconds

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    # -- records --------------------------------------------------------------------------------

    def requests(
        self,
        *,
        host: str | None = None,
        path: str | None = None,
        rpcid: str | None = None,
        method: str | None = None,
    ) -> list[LoggedRequest]:
        """Requests the HTTPS server received, oldest first, filtered by the given fields."""
        wanted = {"host": host, "path": path, "rpcid": rpcid, "method": method}
        with self._lock:
            log = list(self._log)
        return [r for r in log if all(v is None or getattr(r, k) == v for k, v in wanted.items())]

    @property
    def connects(self) -> list[str]:
        """`host:port` of every CONNECT tunnel opened through the proxy."""
        with self._lock:
            return list(self._connects)

    @property
    def generate_requests(self) -> list[FakeRequest]:
        """Every StreamGenerate call the fake decoded (401s and injected HTTP statuses aside)."""
        with self._lock:
            return list(self._generate_requests)

    @property
    def uploads(self) -> list[UploadedFile]:
        with self._lock:
            return list(self._uploads.values())

    @property
    def app_inits(self) -> int:
        """`GET /app` requests (one per init attempt of a cookie group)."""
        return len(self.requests(host="gemini.google.com", path="/app"))

    @property
    def generate_calls(self) -> int:
        log = self.requests(host="gemini.google.com")
        return len([r for r in log if r.path.endswith("/StreamGenerate")])

    @property
    def rotations(self) -> int:
        """Successful `RotateCookies` calls."""
        return len([r for r in self.requests(path="/RotateCookies") if r.status == 200])

    @property
    def peak_in_flight(self) -> dict[str, int]:
        """The most StreamGenerate calls in progress at once, per account (PSID)."""
        with self._lock:
            return dict(self._peak_in_flight)

    @property
    def errors(self) -> list[str]:
        """Unexpected server-side failures (bugs in the fake or a responder). Should stay empty."""
        with self._lock:
            return list(self._errors)

    # -- used by the server ---------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        with self._lock:
            return self._epoch

    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def log_connect(self, target: str) -> None:
        with self._lock:
            self._connects.append(target)

    def record_error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def take_fault(
        self, target: Target, psid: str | None, rpcid: str | None = None
    ) -> Fault | None:
        with self._lock:
            return take(self._rules, target, psid, rpcid)

    def is_expired(self, psid: str | None, psidts: str | None) -> bool:
        """No PSID at all counts as expired: the fake has no guest mode."""
        with self._lock:
            return (
                not psid or ("psid", psid) in self._expired or ("psidts", psidts) in self._expired
            )

    def catalogue_for(self, psid: str | None) -> Catalogue:
        with self._lock:
            return self._catalogues.get(psid or "", self._catalogue)

    def rpc_body(self, rpcid: str) -> Any:
        with self._lock:
            return self._rpc_bodies.get(rpcid, [])

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):04d}"

    @contextmanager
    def in_flight(self, psid: str | None) -> Iterator[None]:
        """Count a StreamGenerate call of `psid` as in progress for the block."""
        key = psid or ""
        with self._lock:
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self._peak_in_flight[key] = max(self._peak_in_flight.get(key, 0), self._in_flight[key])
        try:
            yield
        finally:
            with self._lock:
                # A reset() meanwhile started the count afresh.
                self._in_flight[key] = max(0, self._in_flight.get(key, 0) - 1)

    def record_generate(self, request: FakeRequest) -> None:
        with self._lock:
            self._generate_requests.append(request)

    def next_reply(self, request: FakeRequest) -> Reply:
        """The next scripted reply, else the responder's answer (called unlocked: it may block)."""
        with self._lock:
            scripted = self._script.popleft() if self._script else None
            responder = self._responder or echo
        answer = scripted if scripted is not None else responder(request)
        return Reply(text=answer) if isinstance(answer, str) else answer

    def add_upload(self, filename: str, mime: str, data: bytes) -> UploadedFile:
        upload = UploadedFile(self.new_id("/contrib_service/ttl_1d/fake"), filename, mime, data)
        with self._lock:
            self._uploads[upload.upload_id] = upload
        return upload

    def upload(self, upload_id: str) -> UploadedFile | None:
        with self._lock:
            return self._uploads.get(upload_id)

    def add_picture(self, picture: Picture, full_size_key: tuple[str, str] | None = None) -> str:
        """Store an image, return its lh3 token; `full_size_key` = (rcid, image_id) for c8o8Fe."""
        token = self.new_id("img")
        with self._lock:
            self._pictures[token] = picture
            if full_size_key is not None:
                self._full_size[full_size_key] = token
        return token

    def picture(self, token: str) -> Picture | None:
        with self._lock:
            return self._pictures.get(token)

    def full_size_token(self, rcid: str, image_id: str) -> str | None:
        with self._lock:
            return self._full_size.get((rcid, image_id))

    def add_turn(self, cid: str, turn: list[Any]) -> None:
        with self._lock:
            self._history.setdefault(cid, []).append(turn)

    def turns(self, cid: str, limit: int) -> list[list[Any]]:
        """The chat's turns, newest first (as hNvQHb lists them)."""
        with self._lock:
            return list(reversed(self._history.get(cid, [])))[:limit]
