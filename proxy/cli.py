"""`gemini-proxy`: load and validate the config, then serve it with uvicorn."""

import argparse
import logging
import os
import shutil
import sys

import uvicorn

from proxy.app import create_app
from proxy.core.config import CONFIG_ENV, ConfigError, load_settings
from proxy.core.metrics import MULTIPROCESS_ENV

MULTIPLIED_LIMITS = (
    "gemini-proxy: --workers above 1 needs redis.url in the config: without Redis each worker "
    "keeps its own account limits, so they would multiply by the number of workers"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gemini-proxy", description=__doc__)
    parser.add_argument("--config", help=f"config file (default: ${CONFIG_ENV} or ./config.yaml)")
    parser.add_argument("--host", help="listen address (default: server.host)")
    parser.add_argument("--port", type=int, help="listen port (default: server.port, 8100)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)

    # Plugins named `module.attribute` in the config resolve from the working directory too.
    sys.path.insert(0, os.getcwd())
    try:
        settings = load_settings(args.config)
        app = create_app(settings)
    except ConfigError as exc:
        print(f"gemini-proxy: config error: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.redis.url is None:
        print(MULTIPLIED_LIMITS, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    host = args.host or settings.server.host
    port = args.port or settings.server.port
    if args.workers > 1:
        if args.config:
            os.environ[CONFIG_ENV] = args.config
        # Workers share their event metrics through files here; /metrics adds them up.
        metrics_dir = settings.server.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ[MULTIPROCESS_ENV] = str(metrics_dir.resolve())
        uvicorn.run(
            "proxy.app:app_from_environment", factory=True, host=host, port=port,
            workers=args.workers, log_level=settings.server.log_level.lower(),
        )  # fmt: skip
    else:
        uvicorn.run(app, host=host, port=port, log_level=settings.server.log_level.lower())
    return 0


if __name__ == "__main__":
    sys.exit(main())
