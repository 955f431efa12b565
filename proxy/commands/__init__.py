"""The `gemini-proxy` subcommands, one module each; `proxy.cli` parses and dispatches.

Each command imports the heavy libraries (litellm, gemini_webapi, the web stack) inside the
function that needs them, so that `--help` and config errors answer at once.
"""
