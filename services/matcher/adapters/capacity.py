"""The capacity ledger in Redis, so every matcher instance counts the same open proposals.

One sorted set per opportunity: member = proposal id, score = when the hold expires (ms, Redis
server clock). Reserving is one Lua script (atomic across instances): drop expired holds, then add
this one if fewer than places × per_place are open. Holds follow the proposal's lifecycle: released
when it leaves the running (declined, expired, retracted, not interested, ended, overridden), renewed
when it is offered, and made permanent (score +inf, the key no longer expires) once the citizen said
yes. The hold's own expiry is only a safety net for a lifecycle event that never came, so it is longer
than the offer expiry. A withdrawn opportunity releases all its holds at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from redis.asyncio import Redis

from services.matcher.domain.capacity import DEFAULT_PER_PLACE, Hold

DEFAULT_HOLD_S = 21 * 24 * 3600  # safety net: longer than the 14-day offer expiry, renewed when offered

# In both scripts, a brand-new key gets an expiry and a key with one refreshes it; a key holding a
# committed (+inf) hold was PERSISTed and never expires.

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local hold = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + hold, ARGV[1])
if redis.call('PTTL', KEYS[1]) ~= -1 or redis.call('ZCARD', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], hold)
end
return 1
"""


#: The same, for a ranked list: walk it in order, hold until ARGV[2] are held, return the
#: 1-based positions held. KEYS[i] goes with ARGV[2 + 2i - 1] (proposal id) and ARGV[2 + 2i]
#: (limit). One script call, so one round trip, and atomic across matcher instances.
_RESERVE_FIRST = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local held = {}
for i, key in ipairs(KEYS) do
  if #held >= wanted then break end
  local member = ARGV[1 + 2 * i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZSCORE', key, member) then
    held[#held + 1] = i
  elseif redis.call('ZCARD', key) < tonumber(ARGV[2 + 2 * i]) then
    redis.call('ZADD', key, now + hold, member)
    if redis.call('PTTL', key) ~= -1 or redis.call('ZCARD', key) == 1 then
      redis.call('PEXPIRE', key, hold)
    end
    held[#held + 1] = i
  end
end
return held
"""


# KEYS[1] the opportunity's set; ARGV: proposal id, 'commit' or 'renew', hold ms. Only an existing hold changes.
_KEEP = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or score == 'inf' then return 0 end
if ARGV[2] == 'commit' then
  redis.call('ZADD', KEYS[1], '+inf', ARGV[1])
  redis.call('PERSIST', KEYS[1])
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
end
return 1
"""

# KEYS[1] the opportunity's set; ARGV[1] the proposal id. A committed hold stays (a re-ranking leaves it).
_RELEASE_OPEN = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == 'inf' then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
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
        self._first = redis.register_script(_RESERVE_FIRST)
        self._keep = redis.register_script(_KEEP)
        self._release_open = redis.register_script(_RELEASE_OPEN)

    def _key(self, opportunity_id: uuid.UUID) -> str:
        return f"{self._prefix}{opportunity_id}"

    async def reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        limit = places * self.per_place
        held = await self._script(keys=[self._key(opportunity_id)], args=[str(proposal_id), limit, self._hold_ms])
        return bool(held)

    async def reserve_first(self, wanted: Sequence[Hold], top_n: int) -> list[int]:
        """Hold slots down the ranked list until `top_n` are held, in one script call.

        Every key is in one Redis (not a cluster: a cluster would need the keys in one hash slot).
        """
        if not wanted or top_n <= 0:
            return []
        args: list[str | int] = [self._hold_ms, top_n]
        for h in wanted:
            args += [str(h.proposal_id), h.places * self.per_place]
        held = await self._first(keys=[self._key(h.opportunity_id) for h in wanted], args=args)
        return [int(i) - 1 for i in held]

    async def release(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        await self._redis.zrem(self._key(opportunity_id), str(proposal_id))

    async def release_open(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        await self._release_open(keys=[self._key(opportunity_id)], args=[str(proposal_id)])

    async def commit(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        await self._keep(keys=[self._key(opportunity_id)], args=[str(proposal_id), "commit", self._hold_ms])

    async def renew(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        await self._keep(keys=[self._key(opportunity_id)], args=[str(proposal_id), "renew", self._hold_ms])

    async def release_all(self, opportunity_id: uuid.UUID) -> None:
        await self._redis.delete(self._key(opportunity_id))

    async def open_count(self, opportunity_id: uuid.UUID) -> int:
        return int(await self._redis.zcard(self._key(opportunity_id)))
