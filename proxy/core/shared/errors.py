"""The one error of the shared limits, apart from the Redis client: admission catches it in every
app, and only apps with `redis: url` set load Redis."""


class SharedStateDown(Exception):
    """Redis did not answer (down, unreachable or too slow): a shared limit cannot be confirmed."""
