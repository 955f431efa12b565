"""An OpenAI-compatible upstream that answers at once, for `openai/...` deployments in benchmarks.

    python -m benchmarks.instant_upstream --port 9000 [--chunks 8]

POST .../chat/completions: a fixed completion, or with `"stream": true` SSE of a role chunk,
`--chunks` content chunks, a finish chunk and `[DONE]`. GET anything: `{"ok": true}`. Every
body is built once at start-up (a plain ASGI app, so the upstream costs next to nothing).
"""

import argparse
import json
from typing import Any

import uvicorn

ID, CREATED, MODEL = "chatcmpl-bench", 1700000000, "bench"
JSON = [(b"content-type", b"application/json")]
SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }  # fmt: skip
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def build_app(chunks: int) -> Any:
    full = json.dumps({
        "id": ID, "object": "chat.completion", "created": CREATED, "model": MODEL,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "Hello from the upstream."}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
    }).encode()  # fmt: skip
    stream = [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": f"tok{i} "}) for i in range(chunks)),
        _chunk({}, "stop"),
        b"data: [DONE]\n\n",
    ]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] != "POST":
            await send({"type": "http.response.start", "status": 200, "headers": JSON})
            await send({"type": "http.response.body", "body": b'{"ok": true}'})
        elif not json.loads(body or b"{}").get("stream"):
            await send({"type": "http.response.start", "status": 200, "headers": JSON})
            await send({"type": "http.response.body", "body": full})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": SSE})
            for part in stream:
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=8)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.chunks), port=args.port, log_level="warning",
        access_log=False, server_header=False, date_header=False,
    )  # fmt: skip


if __name__ == "__main__":
    main()
