"""The app factory: `create_app(settings)` builds a complete proxy; one runs per process."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from postprocess import Pipeline, PipelineConfigError, build_storage
from proxy.accounts import routes as admin
from proxy.anthropic import routes as anthropic
from proxy.batches import routes as batches
from proxy.chat import routes as chat
from proxy.console import routes as console
from proxy.core.clock import Clock, SystemClock
from proxy.core.config import ConfigError, Settings, load_settings
from proxy.core.handlers import install_error_handlers
from proxy.core.input_guard import InputGuard
from proxy.core.metrics import MULTIPROCESS_ENV, Metrics
from proxy.core.middleware import BodyLimit, RequestMetrics
from proxy.core.openapi import install_openapi
from proxy.core.routing import load_plugins
from proxy.core.version import PACKAGE_VERSION
from proxy.gemini import routes as gemini
from proxy.images import files
from proxy.images import routes as images
from proxy.responses import routes as responses
from proxy.status import routes as status
from proxy.unsupported import routes as unsupported
from proxy.wiring import wired


def create_app(
    settings: Settings, *, clock: Clock | None = None, shared_metrics: bool = False
) -> FastAPI:
    """Raises `ConfigError` for what validation of the file alone cannot see (plugins, image
    steps). `clock` drives every wait (limits, retries); tests pass a fake one.
    `shared_metrics`: event metrics go to the multiprocess folder that several uvicorn workers
    share (set up by the CLI)."""
    plugins = load_plugins(settings)
    metrics = Metrics(multiprocess=shared_metrics)
    server = settings.server
    try:
        storage = build_storage(settings.storage.options(server.data_dir, server.public_base_url))
        pipeline = Pipeline.from_config(settings.images.pipeline, storage=storage, observer=metrics)
    except PipelineConfigError as exc:
        raise ConfigError(f"images/storage: {exc}") from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with wired(
            settings, plugins, clock or SystemClock(), metrics, storage, pipeline
        ) as wiring:
            app.state.wiring = wiring
            yield

    app = FastAPI(title="gemini-proxy", version=PACKAGE_VERSION, lifespan=lifespan)
    app.state.api_keys = tuple(k.get_secret_value().encode() for k in settings.auth.api_keys)
    admin_key = settings.auth.admin_key
    app.state.admin_key = admin_key.get_secret_value().encode() if admin_key else None
    app.add_middleware(InputGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics)
    install_error_handlers(app)
    if server.cors_origins:
        # Outermost (after the error handlers' middleware), so preflights are answered before
        # body limits and auth, and even a 500 carries the CORS headers a browser needs.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=server.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Retry-After", "X-Watermark-Removed"],
        )
    install_openapi(app)
    for module in (status, chat, responses, images, batches, gemini, anthropic, admin, unsupported):
        app.include_router(module.router)
    app.include_router(status.open_router)
    app.include_router(files.router)
    app.include_router(console.router)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: config from the environment."""
    return create_app(load_settings(), shared_metrics=bool(os.environ.get(MULTIPROCESS_ENV)))
