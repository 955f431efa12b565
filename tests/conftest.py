import providers  # noqa: F401  (first: it keeps litellm's cost map offline)

pytest_plugins = [
    "tests.fakes.pytest_plugin",
    "tests.databases",
    "tests.s3",
    "tests.redis_server",
    "tests.browser",
]
