"""The app factory: `create_app(settings)` builds a complete, independent proxy."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from proxy.batches import routes as batch
from proxy.chat import routes as openai
from proxy.core.clock import Clock, SystemClock
from proxy.core.config import Settings, load_settings
from proxy.core.handlers import install_error_handlers
from proxy.core.input_guard import InputGuard
from proxy.core.metrics import Metrics
from proxy.core.middleware import BodyLimit, RequestMetrics
from proxy.core.openapi import install_openapi
from proxy.core.routing import load_plugins
from proxy.core.version import PACKAGE_VERSION
from proxy.gemini import routes as gemini
from proxy.images import files
from proxy.images import routes as images
from proxy.services import build_image_pipeline, build_services
from proxy.status import metrics_route as metrics_routes
from proxy.status import routes as info


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """Raises `ConfigError` for what validation of the file alone cannot see (plugins, image
    steps). `clock` drives every wait (limits, retries); tests pass a fake one."""
    plugins = load_plugins(settings)
    metrics = Metrics()
    image_pipeline = build_image_pipeline(settings, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(
            settings, plugins, clock or SystemClock(), metrics, image_pipeline
        )
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(title="gemini-proxy", version=PACKAGE_VERSION, lifespan=lifespan)
    app.add_middleware(InputGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics)
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(info.health_router)
    app.include_router(info.router)
    app.include_router(metrics_routes.router)
    app.include_router(openai.router)
    app.include_router(images.router)
    app.include_router(files.router)
    app.include_router(batch.router)
    app.include_router(gemini.router)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: config from the environment."""
    return create_app(load_settings())
