"""Run the fake from the command line, for benchmarks and manual runs.

    python -m tests.fakes.gemini_web [--port 8899] [--latency 0.5] [--frame-delay 0.05]

Prints `export ...` lines (eval them in the shell that runs the client) and serves until
Ctrl-C. Every prompt is answered by the echo responder.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import signal
import sys
import threading

from .fake import FakeGeminiWeb
from .replies import FakeRequest, Reply, echo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.gemini_web")
    parser.add_argument("--port", type=int, default=0, help="CONNECT proxy port (0: any free)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before first frame")
    parser.add_argument("--frames", type=int, default=3, help="candidate frames per reply")
    parser.add_argument("--frame-delay", type=float, default=0.0, help="seconds between frames")
    args = parser.parse_args(argv)

    def respond(request: FakeRequest) -> Reply:
        return dataclasses.replace(echo(request), frames=args.frames, frame_delay=args.frame_delay)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeGeminiWeb(proxy_port=args.port) as fake:
        fake.latency = args.latency
        fake.respond_with(respond)
        for name, value in fake.env.items():
            print(f"export {name}={shlex.quote(value)}")
        print("# fake gemini.google.com is up; Ctrl-C to stop", file=sys.stderr, flush=True)
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):  # a timed wait keeps Ctrl-C responsive
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
