"""The config.yaml schema, `os.environ/NAME` resolution and start-up validation.

LiteLLM's sections (`model_list`, `router_settings`, `litellm_settings`) keep LiteLLM's
meaning; our own sections configure the server, auth, accounts and the provider. Every error
names the key at fault, so a bad file stops the process with one clear line.
"""

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from providers.gemini_web import AccountSettings, GeminiWebSettings
from proxy.core.catalogue import DEFAULT_IMAGE_MODEL, DEFAULT_MODEL, default_model_list
from proxy.core.limits import LimitsSettings
from proxy.core.shared import RedisSettings
from proxy.jobs import DatabaseConfig, JobsConfig

ENV_PREFIX = "os.environ/"
CONFIG_ENV = "GEMINI_PROXY_CONFIG"


class ConfigError(Exception):
    """config.yaml is unreadable or invalid; the message names the key."""


class ServerSettings(BaseModel):
    """The HTTP server: where it listens, where it keeps its files, what it accepts."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    host: str = "0.0.0.0"
    """Listen address; 127.0.0.1 keeps the proxy to this machine."""
    port: int = Field(default=8100, ge=1, le=65535)
    """Listen port."""
    data_dir: Path = Path("./data")
    """SQLite database, cookie cache and stored images live here."""
    public_base_url: str | None = Field(default=None, examples=["https://gemini.example.com"])
    """Absolute base for URLs we hand out (images); default: the request's own base URL."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    """Largest request body accepted (413 beyond); 32 MiB."""
    max_prompt_chars: int = Field(default=1_000_000, gt=0)
    """Longest prompt accepted, in characters (400 beyond)."""
    keep_alive_seconds: float = Field(default=5.0, gt=0)
    """Idle keep-alive connections are closed after this."""
    log_level: str = "INFO"
    """DEBUG, INFO, WARNING or ERROR."""
    cors_origins: list[str] = []
    """Browser origins allowed to call the API (`["*"]` for any); empty: no CORS headers."""


class AuthSettings(BaseModel):
    """Who may call the proxy."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    api_keys: list[SecretStr] = Field(default=[], examples=[["os.environ/GEMINI_PROXY_API_KEY"]])
    """Empty: any bearer is accepted (the contract's default). Otherwise one of these is needed."""
    admin_key: SecretStr | None = Field(
        default=None, examples=["os.environ/GEMINI_PROXY_ADMIN_KEY"]
    )
    """Key of the admin API (/admin/accounts); unset (and no GEMINI_PROXY_ADMIN_KEY): API off."""


class ImagesSettings(BaseModel):
    """Image generation and the post-processing of every generated image."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    default_model: str = DEFAULT_IMAGE_MODEL
    """Image model used when a request names none (and no 2K/4K hint picks a variant)."""
    max_count: int = Field(default=4, ge=1, le=10)
    """Most images one request may ask for (`count` / `n`)."""
    max_reference_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    """Largest reference image accepted for edits; 20 MiB."""
    pipeline: list[dict[str, Any]] | None = Field(
        default=None, examples=[[{"step": "decode"}, {"step": "watermark", "enabled": False},
                                 {"step": "encode"}, {"step": "store"}]],
    )  # fmt: skip
    """Post-processing steps, `{step: name-or-module.attribute, enabled, ...options}`;
    default: decode, watermark, encode, store."""


class StorageSettings(BaseModel):
    """Where images asked for as URLs go: `local` (served by the proxy) or `s3`. Other keys
    are the storage's options: `directory`, `public_base_url` for local; `bucket`,
    `endpoint_url`, `region`, `prefix`, `public_url_base`, `access_key_id`,
    `secret_access_key`, `addressing_style` for s3."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    type: Literal["local", "s3"] = "local"
    """`local`: files under server.data_dir/images, served at /images; `s3`: a bucket."""
    retention_days: float = Field(default=30.0, ge=0)
    """Stored images older than this are deleted (hourly check); 0 keeps them forever."""

    def options(self, data_dir: Path, public_base_url: str | None) -> dict[str, Any]:
        """Constructor options for `postprocess.build_storage`, with our defaults filled in."""
        options: dict[str, Any] = {"type": self.type, **(self.model_extra or {})}
        if self.type == "local":
            options.setdefault("directory", str(data_dir / "images"))
            options.setdefault("public_base_url", public_base_url)
        return options


class Deployment(BaseModel):
    """One `model_list` entry, as LiteLLM reads it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    model_name: str = Field(min_length=1)
    """The public model id clients ask for."""
    litellm_params: dict[str, Any]
    """`model: provider/id`; for gemini-web also `web_model` (the account's model name, alias
    or display name), optional `account` and `image_hint`."""
    model_info: dict[str, Any] = {}
    """What /v1/models shows: `name`, `mode` (chat or image_generation), `description`."""

    @model_validator(mode="after")
    def _has_model(self) -> "Deployment":
        if not isinstance(self.litellm_params.get("model"), str):
            raise ValueError("litellm_params.model is required (e.g. gemini-web/<id>)")
        return self

    @property
    def provider(self) -> str:
        return str(self.litellm_params["model"]).split("/", 1)[0]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    server: ServerSettings = ServerSettings()
    """The HTTP server."""
    auth: AuthSettings = AuthSettings()
    """Who may call the proxy."""
    accounts: list[AccountSettings] = Field(
        default=[],
        examples=[[{"name": "main", "secure_1psid": "os.environ/GEMINI_SECURE_1PSID",
                    "secure_1psidts": "os.environ/GEMINI_SECURE_1PSIDTS", "proxy": None}]],
    )  # fmt: skip
    """Gemini web accounts (browser cookies, see README); with none listed, one account
    `default` is read from GEMINI_SECURE_1PSID / GEMINI_SECURE_1PSIDTS."""
    gemini_web: GeminiWebSettings = GeminiWebSettings()
    """How the accounts' Gemini web clients behave."""
    limits: LimitsSettings = LimitsSettings()
    """Account-safe limits: per client, per model, per account (pool, pacing) and retries."""
    images: ImagesSettings = ImagesSettings()
    """Image generation and post-processing."""
    storage: StorageSettings = Field(
        default=StorageSettings(),
        examples=[{"type": "s3", "bucket": "images", "endpoint_url": "https://s3.example.com",
                   "region": "auto", "prefix": "", "public_url_base": "https://img.example.com",
                   "access_key_id": "os.environ/S3_ACCESS_KEY_ID",
                   "secret_access_key": "os.environ/S3_SECRET_ACCESS_KEY",
                   "addressing_style": "auto"}],
    )  # fmt: skip
    """Where images returned as URLs are stored."""
    database: DatabaseConfig = DatabaseConfig()
    """Where batch jobs are kept."""
    jobs: JobsConfig = JobsConfig()
    """Batch image jobs and their background worker."""
    redis: RedisSettings = RedisSettings()
    """Redis shared by several replicas (limits, leases, cooldowns); off without a url."""
    default_model: str = DEFAULT_MODEL
    """Chat model used when a request names none; must be a model_name of model_list."""
    model_list: list[Deployment] = Field(default_factory=lambda: _deployments(default_model_list()))
    """One deployment per public model id (LiteLLM's format). Without `account`, a gemini-web
    deployment is served by every account; any LiteLLM provider can sit here too."""
    router_settings: dict[str, Any] = Field(
        default={},
        examples=[{"routing_strategy": "simple-shuffle",
                   "fallbacks": [{"gemini-2.5-flash": ["gemini-2.5-flash-paid"]}]}],
    )  # fmt: skip
    """Options of LiteLLM's Router; its retries stay off (limits.retry applies instead)."""
    litellm_settings: dict[str, Any] = Field(
        default={},
        examples=[{"drop_params": True, "custom_provider_map": [
            {"provider": "my-provider", "custom_handler": "my_package.module.handler"}]}],
    )  # fmt: skip
    """LiteLLM module settings and provider plugins; gemini-web is registered unlisted."""

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        names = [a.name for a in self.accounts]
        if len(set(names)) != len(names):
            raise ValueError("accounts: names must be unique")
        public = {d.model_name for d in self.model_list}
        if self.default_model not in public:
            raise ValueError(f"default_model: {self.default_model!r} is not in model_list")
        return self

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.server.data_dir / 'gemini-proxy.db'}"

    @cached_property
    def image_models(self) -> frozenset[str]:
        return frozenset(
            d.model_name for d in self.model_list if d.model_info.get("mode") == "image_generation"
        )

    @property
    def public_models(self) -> list[Deployment]:
        """One deployment per public model name, in config order."""
        seen: dict[str, Deployment] = {}
        for deployment in self.model_list:
            seen.setdefault(deployment.model_name, deployment)
        return list(seen.values())

    def router_model_list(self) -> list[dict[str, Any]]:
        """`model_list` for `litellm.Router`, one deployment per entry: a gemini-web
        deployment without `account` is served by whichever account is ready (the provider
        picks, and moves a request on when an account leaves rotation)."""
        return [deployment.model_dump() for deployment in self.model_list]


def _deployments(raw: list[dict[str, Any]]) -> list[Deployment]:
    return [Deployment.model_validate(d) for d in raw]


def resolve_env_refs(value: Any, where: str = "") -> Any:
    """Replace every `os.environ/NAME` string with that variable's value."""
    if isinstance(value, dict):
        return {
            k: resolve_env_refs(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [resolve_env_refs(v, f"{where}.{i}") for i, v in enumerate(value)]
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return os.environ[name]
    return value


# Secrets that may come from the environment alone, without a mention in the config file.
_SECRETS_FROM_ENV = (
    ("auth", "admin_key", "GEMINI_PROXY_ADMIN_KEY"),
    ("database", "secret_key", "GEMINI_PROXY_SECRET_KEY"),
)


def _accounts_from_env() -> list[dict[str, Any]]:
    psid = os.environ.get("GEMINI_SECURE_1PSID")
    if not psid:
        return []
    return [
        {
            "name": "default",
            "secure_1psid": psid,
            "secure_1psidts": os.environ.get("GEMINI_SECURE_1PSIDTS"),
        }
    ]


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            section = ".".join(str(p) for p in item["loc"][:-1]) or "the top level"
            valid = ", ".join(_keys_at(item["loc"][:-1]))
            lines.append(f"{key}: unknown key; valid keys of {section}: {valid}")
        else:
            lines.append(f"{key}: {item['msg']}")
    return "; ".join(lines)


def _keys_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys of the settings model found by following `loc` from `Settings`."""
    model: type[BaseModel] | None = Settings
    for part in loc:
        if isinstance(part, str) and model is not None:
            # An int is an item of a list: its model is the list's item type.
            model = model_of(model.model_fields[part].annotation)
    return list(model.model_fields) if model is not None else []


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model in `annotation` (`M`, `list[M]`, `M | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        if (model := model_of(argument)) is not None:
            return model
    return None


def parse_settings(raw: dict[str, Any]) -> Settings:
    """Validate an already-loaded config mapping (tests build settings this way)."""
    if not isinstance(raw, dict):
        raise ConfigError("the config file must hold a mapping at the top level")
    resolved = resolve_env_refs(raw)
    if not resolved.get("accounts"):
        resolved["accounts"] = _accounts_from_env()
    for section, key, variable in _SECRETS_FROM_ENV:
        if variable in os.environ and not (resolved.get(section) or {}).get(key):
            resolved[section] = {**(resolved.get(section) or {}), key: os.environ[variable]}
    try:
        return Settings.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def config_file(path: str | Path | None = None) -> Path | None:
    """The file `load_settings(path)` reads: `path`, `$GEMINI_PROXY_CONFIG`, or ./config.yaml;
    None when none is named and ./config.yaml is absent (the defaults apply)."""
    explicit = path or os.environ.get(CONFIG_ENV)
    file = Path(explicit) if explicit else Path("config.yaml")
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file {file} does not exist")
        return None
    return file


def load_settings(path: str | Path | None = None) -> Settings:
    """Load config from `path`, `$GEMINI_PROXY_CONFIG`, or ./config.yaml (defaults if absent)."""
    file = config_file(path)
    if file is None:
        return parse_settings({})
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML ({exc})") from None
    return parse_settings(raw)
