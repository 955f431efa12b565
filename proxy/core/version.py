"""Versions: the contract's API version we serve, and this package's own."""

from importlib.metadata import PackageNotFoundError, version

API_VERSION = "3.1"

try:
    PACKAGE_VERSION = version("gemini-proxy")
except PackageNotFoundError:  # running from a source tree that was never installed
    PACKAGE_VERSION = "0.0.0"
