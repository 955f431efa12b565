"""Status documents: health, service info, cookie status and the model lists."""

from pydantic import BaseModel

from proxy.accounts.schema import AccountView


class RateLimiterFigures(BaseModel):
    current_delay: float
    requests_last_minute: int
    consecutive_429s: int
    rpm_limit: int


class ConcurrencyFigures(BaseModel):
    max: int
    available: int
    queued: int


class AccountsFigures(BaseModel):
    ready: int
    total: int


class Health(BaseModel):
    status: str
    """`ok`, or `degraded` when no account can serve (still HTTP 200); `reason` says why."""
    reason: str | None = None
    version: str
    client_ready: bool
    accounts: AccountsFigures
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


class AccountStatus(AccountView):
    valid: bool | None
    """None until the account has signed in once; then whether its cookies were accepted."""
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
