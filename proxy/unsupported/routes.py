"""Endpoints of the served dialects that Gemini web has nothing to answer with: a clear 501
in the route's dialect (`proxy/core/dialect.py`), instead of a bare 404 a client would take
for a wrong base URL."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends

from proxy.core.auth import require_api_key
from proxy.core.errors import NotImplementedByGeminiWeb

router = APIRouter(tags=["unsupported"], dependencies=[Depends(require_api_key)])

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

# (path, what a client would have wanted)
_OPENAI = (
    ("/v1/embeddings", "embeddings"),
    ("/v1/audio/{rest:path}", "audio"),
    ("/v1/moderations", "moderations"),
    ("/v1/completions", "legacy text completions (use /v1/chat/completions)"),
    ("/v1/images/variations", "image variations (use /v1/images/edits)"),
    ("/v1/files{rest:path}", "files"),
    ("/v1/uploads{rest:path}", "uploads"),
    ("/v1/fine_tuning/{rest:path}", "fine-tuning"),
    ("/v1/assistants{rest:path}", "assistants"),
    ("/v1/threads{rest:path}", "threads"),
    ("/v1/vector_stores{rest:path}", "vector stores"),
    ("/v1/realtime{rest:path}", "realtime sessions"),
    ("/v1/batches{rest:path}", "OpenAI batches (image batches: /v1/batch/images)"),
)
_GOOGLE_ACTIONS = ("embedContent", "batchEmbedContents", "predict", "predictLongRunning")
_GOOGLE = ("files", "cachedContents", "tunedModels")
_GOOGLE_PREFIXES = ("/gemini/v1beta", "/v1beta")


def _refuse(what: str) -> Callable[[], Awaitable[None]]:
    async def refuse() -> None:
        raise NotImplementedByGeminiWeb(f"Gemini web cannot serve {what} through this proxy")

    return refuse


for path, what in _OPENAI:
    router.add_api_route(path, _refuse(what), methods=_METHODS, include_in_schema=False)
for prefix in (*_GOOGLE_PREFIXES, "/v1"):
    for action in _GOOGLE_ACTIONS:
        router.add_api_route(
            f"{prefix}/models/{{model}}:{action}", _refuse(action), methods=["POST"],
            include_in_schema=False,
        )  # fmt: skip
for prefix in (*_GOOGLE_PREFIXES, "/upload/v1beta"):
    for resource in _GOOGLE:
        router.add_api_route(
            f"{prefix}/{resource}{{rest:path}}", _refuse(resource), methods=_METHODS,
            include_in_schema=False,
        )  # fmt: skip
router.add_api_route(
    "/v1/messages/batches{rest:path}", _refuse("message batches"), methods=_METHODS,
    include_in_schema=False,
)  # fmt: skip
