"""The app factory: `create_app(settings)` builds a complete, independent proxy."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import Settings, load_settings
from .handlers import install_error_handlers
from .middleware import BodyLimit
from .routes import info, openai
from .routing import load_plugins
from .services import build_services
from .version import PACKAGE_VERSION


def create_app(settings: Settings) -> FastAPI:
    """Raises `ConfigError` for what validation of the file alone cannot see (plugins)."""
    plugins = load_plugins(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(settings, plugins)
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(title="gemini-proxy", version=PACKAGE_VERSION, lifespan=lifespan)
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_body_bytes)
    install_error_handlers(app)
    app.include_router(info.health_router)
    app.include_router(info.router)
    app.include_router(openai.router)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: config from the environment."""
    return create_app(load_settings())
