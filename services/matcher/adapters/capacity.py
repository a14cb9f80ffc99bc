"""The capacity ledger in Redis, so every matcher instance counts the same open proposals.

One sorted set per opportunity: member = proposal id, score = when the hold expires (ms, Redis
server clock). Reserving is one Lua script (atomic across instances): drop expired holds, then add
this one if fewer than places × per_place are open. Holds are released on decline, on expiry (by
the score) and all at once when the opportunity is withdrawn.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from services.matcher.domain.capacity import DEFAULT_PER_PLACE

DEFAULT_HOLD_S = 14 * 24 * 3600  # an unanswered proposal stops counting after two weeks

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local hold = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + hold, ARGV[1])
redis.call('PEXPIRE', KEYS[1], hold)
return 1
"""


class RedisCapacity:
    """Implements `domain.capacity.CapacityLedger` over `redis.asyncio`."""

    def __init__(
        self,
        redis: Redis,
        namespace: str,
        *,
        per_place: int = DEFAULT_PER_PLACE,
        hold_s: int = DEFAULT_HOLD_S,
    ) -> None:
        self._redis = redis
        self._prefix = f"{namespace}matcher:capacity:"
        self.per_place = per_place
        self._hold_ms = hold_s * 1000
        self._script = redis.register_script(_RESERVE)

    def _key(self, opportunity_id: uuid.UUID) -> str:
        return f"{self._prefix}{opportunity_id}"

    async def reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        limit = places * self.per_place
        held = await self._script(
            keys=[self._key(opportunity_id)], args=[str(proposal_id), limit, self._hold_ms]
        )
        return bool(held)

    async def release(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        await self._redis.zrem(self._key(opportunity_id), str(proposal_id))

    async def release_all(self, opportunity_id: uuid.UUID) -> None:
        await self._redis.delete(self._key(opportunity_id))

    async def open_count(self, opportunity_id: uuid.UUID) -> int:
        return int(await self._redis.zcard(self._key(opportunity_id)))
