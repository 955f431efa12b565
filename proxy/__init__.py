"""gemini-proxy: Gemini web accounts served as OpenAI-compatible and Gemini-native APIs."""

import providers  # noqa: F401  (first: it keeps litellm's cost map offline)
