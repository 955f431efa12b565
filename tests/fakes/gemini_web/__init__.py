"""A fake gemini.google.com (and accounts, www, content-push, lh3) for the unmodified
`gemini_webapi` 2.1.1 client.

The client is redirected without patching: `FakeGeminiWeb.env` sets `HTTPS_PROXY` to a local
CONNECT proxy that tunnels every host to one local HTTPS server, whose certificate (from a
throwaway CA named by the CA-bundle variables) covers all Google hosts. Both run on their own
event-loop thread. In pytest use the `fake_gemini` fixture (tests/fakes/pytest_plugin.py);
elsewhere `python -m tests.fakes.gemini_web` or:

    with FakeGeminiWeb() as fake:
        os.environ.update(fake.env)           # before creating any GeminiClient
        fake.script(Reply("hi", frames=4, frame_delay=0.05))
        ... GeminiClient("g.any-psid", "any-psidts") ... init(auto_refresh=False) ...

Behaviour (all thread-safe; `reset()` undoes everything):
- answers: `script(*replies)` queues `Reply`s (or plain strings); `respond_with(fn)` sets a
  `(FakeRequest) -> Reply | str` responder; default `echo`: "Echo: <last prompt line>".
- account: `set_catalogue(Catalogue, psid=None)` (default: gemini-flash / gemini-pro /
  gemini-flash-lite, see catalogue.py), `set_rpc_body(rpcid, body | REJECT)`.
- failures (scoped by `psid=`, counted by `times=`, None = until reset):
  `fail(Target, status)` for /app, StreamGenerate, batchexecute (`rpcid=`), upload, images,
  the full-size chain only, RotateCookies; `fail_stream(code, after_frames=)`;
  `stall(after_frames=, seconds=, keepalive=)`; `expire(psid= | psidts=)`; `latency = seconds`;
  `Reply(complete=False)` for a turn that never finishes.
- records: `requests(host=, path=, rpcid=, method=)` (`LoggedRequest`s), `generate_requests`
  (`FakeRequest`s, with `received_at`), `uploads`, `connects`, `app_inits`, `generate_calls`,
  `rotations`, `peak_in_flight` (per PSID), and `errors` (server-side failures; should stay
  empty).
"""

from .catalogue import DEFAULT_CATALOGUE, FLASH, FLASH_LITE, PRO, Catalogue, FakeModel
from .control import REJECT, LoggedRequest
from .fake import FakeGeminiWeb
from .faults import HttpError, Stall, StreamError, Target
from .media import make_png
from .replies import FakeRequest, Picture, Reply, UploadedFile, echo

__all__ = [
    "DEFAULT_CATALOGUE",
    "FLASH",
    "FLASH_LITE",
    "PRO",
    "REJECT",
    "Catalogue",
    "FakeGeminiWeb",
    "FakeModel",
    "FakeRequest",
    "HttpError",
    "LoggedRequest",
    "Picture",
    "Reply",
    "Stall",
    "StreamError",
    "Target",
    "UploadedFile",
    "echo",
    "make_png",
]
