"""`gemini-proxy serve`: load the config, say what is served where, run uvicorn."""

import ipaddress
import logging
import os
import shutil
import sys
from pathlib import Path

from proxy.core.config import CONFIG_ENV, ConfigError, Settings, config_file, load_settings
from proxy.core.version import PACKAGE_VERSION

logger = logging.getLogger("proxy.serve")
MULTIPLIED_LIMITS = (
    "gemini-proxy: --workers above 1 needs redis.url in the config: without Redis each worker "
    "keeps its own account limits, so they would multiply by the number of workers"
)


def serve(config: str | None, host: str | None, port: int | None, workers: int) -> int:
    # Plugins named `module.attribute` in the config resolve from the working directory too.
    sys.path.insert(0, os.getcwd())
    try:
        source = config_file(config)
        settings = load_settings(config)
        from proxy.app import create_app

        app = create_app(settings)
    except ConfigError as exc:
        print(f"gemini-proxy: config error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if workers > 1 and settings.redis.url is None:
        print(MULTIPLIED_LIMITS, file=sys.stderr)
        return 2
    host = host or settings.server.host
    port = port or settings.server.port
    logger.info("%s", startup_summary(settings, source, host, port))
    if warning := exposure_warning(settings, host, port):
        logger.warning("%s", warning)

    import uvicorn

    from proxy.core.metrics import MULTIPROCESS_ENV
    from proxy.serving import uvicorn_options

    if workers > 1:
        if config:
            os.environ[CONFIG_ENV] = config
        # Workers share their event metrics through files here; /metrics adds them up.
        metrics_dir = settings.server.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ[MULTIPROCESS_ENV] = str(metrics_dir.resolve())
        uvicorn.run(
            "proxy.app:app_from_environment", factory=True, host=host, port=port,
            workers=workers, **uvicorn_options(settings),
        )  # fmt: skip
    else:
        uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))
    return 0


def startup_summary(settings: Settings, source: Path | None, host: str, port: int) -> str:
    """One line: version, config file, bind address and account names (never their cookies)."""
    where = f"config {source.resolve()}" if source else "no config file, built-in defaults"
    names = ", ".join(a.name for a in settings.accounts) or (
        "none (set GEMINI_SECURE_1PSID / GEMINI_SECURE_1PSIDTS or list accounts in the config)"
    )
    return f"gemini-proxy {PACKAGE_VERSION}: {where}; listening on {host}:{port}; accounts: {names}"


def exposure_warning(settings: Settings, host: str, port: int) -> str | None:
    """A loud warning when anyone who reaches the port can spend the accounts."""
    if settings.auth.api_keys or _is_loopback(host):
        return None
    return (
        f"!!! LISTENING ON {host}:{port} WITH NO API KEYS: anyone who can reach this port can use "
        "your Gemini accounts. Set auth.api_keys, or listen on 127.0.0.1 (--host 127.0.0.1). !!!"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to any interface
