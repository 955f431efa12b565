"""Exceptions raised by the limits; every one means "slow down and retry" (HTTP 429).

    LimitError            reason, detail (client-facing), retry_after (seconds, suggested)
    ├── PoolFull          the queue for an upstream slot is full
    └── PoolTimeout       waited `max_wait_seconds` in the queue without getting a slot

Client limits do not raise: `ClientLimiter.check` returns a `Decision` with the same fields.
"""


class LimitError(Exception):
    def __init__(self, reason: str, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


class PoolFull(LimitError):
    def __init__(self, pool: str, queued: int, retry_after: float) -> None:
        detail = f"服务繁忙：已有 {queued} 个请求在排队，请等待 {retry_after:.1f} 秒后重试"
        super().__init__("pool_full", detail, retry_after)
        self.pool = pool


class PoolTimeout(LimitError):
    def __init__(self, pool: str, waited: float, retry_after: float) -> None:
        detail = f"服务繁忙：排队 {waited:.1f} 秒仍未轮到，请等待 {retry_after:.1f} 秒后重试"
        super().__init__("pool_timeout", detail, retry_after)
        self.pool = pool
