"""Status documents: health, service info, cookie status and the model lists."""

from pydantic import BaseModel


class RateLimiterFigures(BaseModel):
    current_delay: float
    requests_last_minute: int
    consecutive_429s: int
    rpm_limit: int


class ConcurrencyFigures(BaseModel):
    max: int
    available: int
    queued: int


class Health(BaseModel):
    status: str
    version: str
    client_ready: bool
    watermark_removal: bool
    rate_limiter: RateLimiterFigures
    task_stats: dict[str, int]
    concurrency: ConcurrencyFigures


class Info(BaseModel):
    name: str
    version: str
    package_version: str
    default_model: str
    endpoints: dict[str, str | list[str]]
    features: list[str]


class AccountStatus(BaseModel):
    name: str
    valid: bool | None
    """None until the account's client has been tried."""
    error: str | None


class CookieStatus(BaseModel):
    valid: bool
    message: str
    accounts: list[AccountStatus]


class ModelEntry(BaseModel):
    id: str
    name: str
    description: str


class ModelCategories(BaseModel):
    text: list[str]
    image: list[str]


class ModelList(BaseModel):
    models: list[ModelEntry]
    categories: ModelCategories
    default: str


class OpenAIModel(BaseModel):
    id: str
    object: str = "model"
    created: int
    owned_by: str = "gemini-proxy"


class OpenAIModelList(BaseModel):
    object: str = "list"
    data: list[OpenAIModel]
