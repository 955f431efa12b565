"""Response documents of the chat routes, as `/openapi.json` describes them."""

from typing import Any

from pydantic import BaseModel


class GenerateAnswer(BaseModel):
    text: str
    model: str
    thoughts: str | None = None


class ChatCompletion(BaseModel):
    """OpenAI's chat completion object (the fields clients read)."""

    id: str
    object: str = "chat.completion"
    created: int
    model: str
    choices: list[dict[str, Any]]
    usage: dict[str, Any] | None = None
