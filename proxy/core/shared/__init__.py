"""Limits shared by several replicas through Redis, behind the in-process limits' interfaces.

Built by the composition root when `redis: url` is set; see each module for its algorithm.
"""

from proxy.core.shared.config import FailModes, RedisSettings

__all__ = ["FailModes", "RedisSettings"]
