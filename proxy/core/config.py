"""The config.yaml schema, `os.environ/NAME` resolution and start-up validation.

LiteLLM's sections (`model_list`, `router_settings`, `litellm_settings`) keep LiteLLM's
meaning; our own sections configure the server, auth, accounts and the provider. Every error
names the key at fault, so a bad file stops the process with one clear line.
"""

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from providers.gemini_web import PROVIDER_NAME, AccountSettings, GeminiWebSettings
from proxy.core.catalogue import DEFAULT_IMAGE_MODEL, DEFAULT_MODEL, default_model_list
from proxy.core.limits import LimitsSettings
from proxy.core.shared import RedisSettings
from proxy.jobs import DatabaseConfig, JobsConfig

ENV_PREFIX = "os.environ/"
CONFIG_ENV = "GEMINI_PROXY_CONFIG"


class ConfigError(Exception):
    """config.yaml is unreadable or invalid; the message names the key."""


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "0.0.0.0"
    port: int = Field(default=8100, ge=1, le=65535)
    data_dir: Path = Path("./data")
    public_base_url: str | None = None
    """Absolute base for URLs we hand out (images); default: the request's own base URL."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    max_prompt_chars: int = Field(default=1_000_000, gt=0)
    log_level: str = "INFO"


class AuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_keys: list[SecretStr] = []
    """Empty: any bearer is accepted (the contract's default). Otherwise one of these is needed."""


class ImagesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_model: str = DEFAULT_IMAGE_MODEL
    max_count: int = Field(default=4, ge=1, le=10)
    """Most images one request may ask for (`count` / `n`)."""
    max_reference_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    pipeline: list[dict[str, Any]] | None = None
    """Post-processing steps, `{step: name-or-module.attribute, enabled, ...options}`;
    default: decode, watermark, encode, store."""


class StorageSettings(BaseModel):
    """Where images asked for as URLs go: `local` (served by the proxy) or `s3`."""

    model_config = ConfigDict(extra="allow")

    type: Literal["local", "s3"] = "local"

    def options(self, data_dir: Path, public_base_url: str | None) -> dict[str, Any]:
        """Constructor options for `postprocess.build_storage`, with our defaults filled in."""
        options: dict[str, Any] = {"type": self.type, **(self.model_extra or {})}
        if self.type == "local":
            options.setdefault("directory", str(data_dir / "images"))
            options.setdefault("public_base_url", public_base_url)
        return options


class Deployment(BaseModel):
    """One `model_list` entry, as LiteLLM reads it."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(min_length=1)
    litellm_params: dict[str, Any]
    model_info: dict[str, Any] = {}

    @model_validator(mode="after")
    def _has_model(self) -> "Deployment":
        if not isinstance(self.litellm_params.get("model"), str):
            raise ValueError("litellm_params.model is required (e.g. gemini-web/<id>)")
        return self

    @property
    def provider(self) -> str:
        return str(self.litellm_params["model"]).split("/", 1)[0]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    accounts: list[AccountSettings] = []
    gemini_web: GeminiWebSettings = GeminiWebSettings()
    limits: LimitsSettings = LimitsSettings()
    images: ImagesSettings = ImagesSettings()
    storage: StorageSettings = StorageSettings()
    database: DatabaseConfig = DatabaseConfig()
    jobs: JobsConfig = JobsConfig()
    redis: RedisSettings = RedisSettings()
    default_model: str = DEFAULT_MODEL
    model_list: list[Deployment] = Field(default_factory=lambda: _deployments(default_model_list()))
    router_settings: dict[str, Any] = {}
    litellm_settings: dict[str, Any] = {}

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        names = [a.name for a in self.accounts]
        if len(set(names)) != len(names):
            raise ValueError("accounts: names must be unique")
        for index, deployment in enumerate(self.model_list):
            account = deployment.litellm_params.get("account")
            if account is not None and account not in names:
                raise ValueError(
                    f"model_list.{index}.litellm_params.account: no account {account!r}"
                )
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
        """`model_list` for `litellm.Router`: gemini-web deployments without an account are
        repeated once per configured account, so every account serves every public model."""
        expanded: list[dict[str, Any]] = []
        for deployment in self.model_list:
            entry = deployment.model_dump()
            targets = [a.name for a in self.accounts]
            if (
                deployment.provider != PROVIDER_NAME
                or "account" in entry["litellm_params"]
                or len(targets) < 2
            ):
                expanded.append(entry)
                continue
            for name in targets:
                copy = {**entry, "litellm_params": {**entry["litellm_params"], "account": name}}
                copy["model_info"] = {
                    **entry["model_info"],
                    "id": f"{deployment.model_name}@{name}",
                }
                expanded.append(copy)
        return expanded


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
        lines.append(f"{key}: {item['msg']}")
    return "; ".join(lines)


def parse_settings(raw: dict[str, Any]) -> Settings:
    """Validate an already-loaded config mapping (tests build settings this way)."""
    if not isinstance(raw, dict):
        raise ConfigError("the config file must hold a mapping at the top level")
    resolved = resolve_env_refs(raw)
    if not resolved.get("accounts"):
        resolved["accounts"] = _accounts_from_env()
    try:
        return Settings.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Load config from `path`, `$GEMINI_PROXY_CONFIG`, or ./config.yaml (defaults if absent)."""
    explicit = path or os.environ.get(CONFIG_ENV)
    file = Path(explicit) if explicit else Path("config.yaml")
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file {file} does not exist")
        return parse_settings({})
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML ({exc})") from None
    return parse_settings(raw)
