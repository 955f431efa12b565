"""The floor: a bare FastAPI endpoint answering a canned chat completion, plain and streamed."""

import json
import time

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

# Defined here, not imported from instant_provider: that would import litellm into the floor.
ANSWER = "The quick brown fox jumps over the lazy dog."

app = FastAPI()


@app.post("/v1/chat/completions", response_model=None)
async def chat(body: dict) -> object:
    if body.get("stream"):

        async def events():  # type: ignore[no-untyped-def]
            for word in ANSWER.split(" "):
                chunk = {
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": word + " "}}],
                }
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")
    return {
        "id": "chatcmpl-bare",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12},
    }
