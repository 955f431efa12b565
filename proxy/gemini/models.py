"""Google's model documents: `models.list` / `models.get` answers and `countTokens`.

Token limits are Gemini's published ones; a deployment's `model_info` may override them with
`input_token_limit` / `output_token_limit`. Gemini web publishes none of its own.
"""

from typing import Any

from pydantic import model_validator

from proxy.core.config import Deployment
from proxy.gemini.schema import Content, GenerateContentRequest, _Model

_INPUT_TOKEN_LIMIT = 1_048_576
_OUTPUT_TOKEN_LIMIT = 65_536
_CHAT_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]
_IMAGE_METHODS = ["generateContent", "streamGenerateContent", "editImage"]


class GoogleModel(_Model):
    name: str
    base_model_id: str
    version: str = "001"
    display_name: str
    description: str
    input_token_limit: int
    output_token_limit: int
    supported_generation_methods: list[str]
    thinking: bool


class GoogleModelList(_Model):
    models: list[GoogleModel]


def google_model(deployment: Deployment) -> GoogleModel:
    info: dict[str, Any] = deployment.model_info
    name = deployment.model_name
    images = info.get("mode") == "image_generation"
    return GoogleModel(
        name=f"models/{name}",
        base_model_id=name,
        display_name=info.get("name", name),
        description=info.get("description", ""),
        input_token_limit=info.get("input_token_limit", _INPUT_TOKEN_LIMIT),
        output_token_limit=info.get("output_token_limit", _OUTPUT_TOKEN_LIMIT),
        supported_generation_methods=_IMAGE_METHODS if images else _CHAT_METHODS,
        thinking=not images,
    )


class CountTokensRequest(_Model):
    """`contents`, or a whole `generateContentRequest` (REST accepts either)."""

    contents: list[Content] | None = None
    generate_content_request: GenerateContentRequest | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "CountTokensRequest":
        if (self.contents is None) == (self.generate_content_request is None):
            raise ValueError("countTokens needs either contents or generateContentRequest")
        return self

    def as_generate_request(self) -> GenerateContentRequest:
        if self.generate_content_request is not None:
            return self.generate_content_request
        return GenerateContentRequest(contents=self.contents or [])


class CountTokensResponse(_Model):
    total_tokens: int
