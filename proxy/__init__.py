"""gemini-proxy: Gemini web accounts served as OpenAI-compatible and Gemini-native APIs."""

import providers  # noqa: F401  (first: it keeps litellm's cost map offline)

# Before anything imports litellm: pydantic reads the settings' attribute docstrings through
# `inspect.getmodule`, which resolves the path of every loaded module once; after litellm's
# ~3000 modules that costs ~90 ms more.
import proxy.core.config  # noqa: F401
