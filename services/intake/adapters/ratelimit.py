"""Requests per token subject per minute (writes and reads counted apart), in Redis so every intake instance agrees.

A fixed one-minute window (INCR + EXPIRE, Redis 6.2 is enough): cheap and simple; a burst at a window
edge may reach twice the limit, which is fine for its purpose (stopping a runaway or leaked token).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from redis.asyncio import Redis

WINDOW_S = 60


class RedisRateLimiter:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        per_minute: int,
        clock: Callable[[], float] = time.time,
        kind: str = "write",
    ) -> None:
        self._r = redis
        self._p = f"{prefix}intake:ratelimit:" if kind == "write" else f"{prefix}intake:ratelimit-{kind}:"
        self.kind = kind
        self.per_minute = per_minute
        self._clock = clock

    async def hit(self, tenant: str) -> int | None:
        """Count one request for `tenant`; the seconds to wait if it is over the limit, else None."""
        now = self._clock()
        window = int(now // WINDOW_S)
        # Hashed, so a subject (which an IdP may make an e-mail address) is not stored in clear.
        key = f"{self._p}{hashlib.sha256(tenant.encode()).hexdigest()[:32]}:{window}"
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_S * 2)
            count, _ = await pipe.execute()
        if int(count) <= self.per_minute:
            return None
        return max(1, math.ceil((window + 1) * WINDOW_S - now))
