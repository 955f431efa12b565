"""`gemini-proxy`: serve a config (the default command), check it and its accounts, or submit
a batch of image prompts to a running proxy.

Each command imports what it needs when it runs: `--help`, `--version` and a config error
answer at once, without loading litellm, gemini_webapi or the web stack.
"""

import argparse
import os
import sys
from pathlib import Path

from proxy.core.version import API_VERSION, PACKAGE_VERSION

COMMANDS = ("serve", "check", "batch", "accounts")
CONFIG_HELP = "config file (default: $GEMINI_PROXY_CONFIG, else ./config.yaml if present)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gemini-proxy",
        description=__doc__.split("\n\n")[0],
        epilog="Without a command, `serve` runs: `gemini-proxy --config x.yaml` serves x.yaml. "
        "`gemini-proxy COMMAND --help` lists a command's options.",
    )
    parser.add_argument(
        "--version", action="version", version=f"gemini-proxy {PACKAGE_VERSION} (API {API_VERSION})"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the proxy (the default)")
    serve.add_argument("--config", help=CONFIG_HELP)
    serve.add_argument("--host", help="listen address (default: server.host)")
    serve.add_argument("--port", type=int, help="listen port (default: server.port, 8100)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    check = commands.add_parser(
        "check", help="validate the config and sign every account in to Gemini web"
    )
    check.add_argument("--config", help=CONFIG_HELP)

    batch = commands.add_parser(
        "batch", help="submit image prompts (one per line) to a running proxy"
    )
    batch.add_argument("prompts", type=Path, help="text file, one prompt per line")
    batch.add_argument("--url", default="http://127.0.0.1:8100", help="the proxy's base URL")
    batch.add_argument(
        "--api-key",
        default=os.environ.get("GEMINI_PROXY_API_KEY"),
        help="the proxy's API key (default: $GEMINI_PROXY_API_KEY)",
    )
    batch.add_argument("--model", help="image model (default: the proxy's images.default_model)")
    batch.add_argument("--wait", action="store_true", help="follow progress, print the results")
    batch.add_argument(
        "--poll-interval", type=float, default=2.0, help="seconds between status checks"
    )
    from proxy.commands import accounts

    accounts.add_parser(commands, CONFIG_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in (*COMMANDS, "-h", "--help", "--version"):
        args.insert(0, "serve")
    options = build_parser().parse_args(args)
    if options.command == "check":
        from proxy.commands.check import check

        return check(options.config)
    if options.command == "accounts":
        from proxy.commands.accounts import run

        return run(options)
    if options.command == "batch":
        from proxy.commands.batch import run_batch

        return run_batch(
            options.prompts, url=options.url.rstrip("/"), api_key=options.api_key,
            model=options.model, wait=options.wait, poll_interval=options.poll_interval,
        )  # fmt: skip
    from proxy.commands.serve import serve

    return serve(options.config, options.host, options.port, options.workers)


if __name__ == "__main__":
    sys.exit(main())
