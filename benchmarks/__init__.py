"""Benchmarks: scripts that print figures (`python -m benchmarks.<name>`).

`providers` sets litellm's local cost map before any benchmark imports litellm, which would
otherwise try to fetch the map from the internet."""

import providers  # noqa: F401
