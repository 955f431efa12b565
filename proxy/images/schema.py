"""Request and response documents of the image routes."""

from typing import Literal

from pydantic import BaseModel, Field

Prompt = Field(min_length=1, max_length=100_000)


class GenerateImages(BaseModel):
    prompt: str = Prompt
    count: int = Field(default=1, ge=1)
    response_type: Literal["base64", "url"] = "base64"
    image: str | None = None
    model: str | None = None


class OpenAIImages(BaseModel):
    prompt: str = Prompt
    model: str | None = None
    n: int = Field(default=1, ge=1)
    size: str | None = Field(default=None, pattern=r"^(auto|\d{2,5}x\d{2,5})$")
    response_format: Literal["url", "b64_json"] = "url"
    quality: str | None = None
    style: str | None = None
    user: str | None = None


class EditImage(BaseModel):
    prompt: str = Prompt
    image: str | list[str]
    model: str | None = None
    count: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1)
    response_type: Literal["base64", "url"] | None = None
    response_format: Literal["url", "b64_json"] | None = None

    @property
    def images(self) -> list[str]:
        return self.image if isinstance(self.image, list) else [self.image]


class ImagesAnswer(BaseModel):
    """The contract's answer: URLs or data URLs, and what watermark removal found per image."""

    images: list[str]
    model: str
    watermark: list[dict[str, object]]


class OpenAIImage(BaseModel):
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class OpenAIImagesAnswer(BaseModel):
    created: int
    data: list[OpenAIImage]
