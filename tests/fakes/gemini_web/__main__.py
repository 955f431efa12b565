"""Run the fake from the command line, for benchmarks and manual runs.

    python -m tests.fakes.gemini_web [--port 8899] [--latency 0.5] [--frame-delay 0.05]
    python -m tests.fakes.gemini_web gemini-proxy [proxy options]

Prints `export ...` lines (eval them in the shell that runs the client) and serves until
Ctrl-C; or, given a command, runs it with those variables set and serves until it exits (the
way to try the proxy without a Gemini account). Every prompt is answered by the echo responder.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import signal
import subprocess
import sys
import threading

from .fake import FakeGeminiWeb
from .replies import FakeRequest, Reply, echo

# The fake takes any non-empty cookies; these stand in for an account's.
FAKE_ACCOUNT = {"GEMINI_SECURE_1PSID": "fake-psid", "GEMINI_SECURE_1PSIDTS": "fake-psidts"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.gemini_web")
    parser.add_argument("--port", type=int, default=0, help="CONNECT proxy port (0: any free)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before first frame")
    parser.add_argument("--frames", type=int, default=3, help="candidate frames per reply")
    parser.add_argument("--frame-delay", type=float, default=0.0, help="seconds between frames")
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, help="run this with the fake's variables set"
    )
    args = parser.parse_args(argv)

    def respond(request: FakeRequest) -> Reply:
        return dataclasses.replace(echo(request), frames=args.frames, frame_delay=args.frame_delay)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeGeminiWeb(proxy_port=args.port) as fake:
        fake.latency = args.latency
        fake.respond_with(respond)
        if args.command:
            return _run(args.command, {**os.environ, **fake.env, **FAKE_ACCOUNT}, stop)
        for name, value in {**fake.env, **FAKE_ACCOUNT}.items():
            print(f"export {name}={shlex.quote(value)}")
        print("# fake gemini.google.com is up; Ctrl-C to stop", file=sys.stderr, flush=True)
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):  # a timed wait keeps Ctrl-C responsive
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _run(command: list[str], env: dict[str, str], stop: threading.Event) -> int:
    """`command`'s exit status; SIGTERM to us is passed on to it (Ctrl-C reaches it anyway)."""
    child = subprocess.Popen(command, env=env)
    try:
        while child.poll() is None:
            if stop.wait(0.5):
                child.terminate()
                break
    except KeyboardInterrupt:
        pass  # the terminal sent the child the same Ctrl-C
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
