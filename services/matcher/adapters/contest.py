"""Where candidates from every matcher instance compete for one opportunity event's free places.

One sorted set per opportunity event (member = citizen id, score = the ranking's score) and one
hash with its deadline and, once settled, the number of slots that were free. Every instance adds
its own candidates; the first to add fixes the deadline (now + window, Redis server clock). After
the deadline any instance settles: the first to settle counts the free slots in the capacity
ledger once, so every instance reads the same winners (the best `slots` scores across instances)
and reserves only its own. Keys expire after a day: replays after that find the processed marks.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

_TTL_MS = 24 * 3600 * 1000

#: A contest closes this long after its deadline: an instance later than that (or a matcher replaying
#: the catalogue after a restart) takes no part in it; the places were given. The grace lets an instance
#: that saw the event a little later than the first still enter its citizens.
DECIDED_MS = 2_000

# KEYS: entries, meta. ARGV: window ms, then citizen/score pairs. Returns ms until the deadline, or -1
# when the contest was decided long ago (nothing is added then).
_SUBMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = redis.call('HGET', KEYS[2], 'deadline')
if deadline and now - tonumber(deadline) > DECIDED_MS then return -1 end
redis.call('HSETNX', KEYS[2], 'deadline', now + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[2], TTL_MS)
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
end
if #ARGV > 1 then redis.call('PEXPIRE', KEYS[1], TTL_MS) end
return math.max(0, tonumber(redis.call('HGET', KEYS[2], 'deadline')) - now)
""".replace("TTL_MS", str(_TTL_MS)).replace("DECIDED_MS", str(DECIDED_MS))

# KEYS: entries, meta, the opportunity's capacity set. ARGV: the place's limit.
# Returns the winners (citizen, score, ...), best first.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = redis.call('HGET', KEYS[2], 'slots')
if not slots then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  slots = math.max(0, tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[3]))
  redis.call('HSET', KEYS[2], 'slots', slots)
end
slots = tonumber(slots)
if slots == 0 then return {} end
return redis.call('ZREVRANGE', KEYS[1], 0, slots - 1, 'WITHSCORES')
"""


class RedisContest:
    def __init__(self, redis: Redis, namespace: str, capacity_prefix: str) -> None:
        self._p = f"{namespace}matcher:contest:"
        self._capacity = capacity_prefix
        self._submit = redis.register_script(_SUBMIT)
        self._settle = redis.register_script(_SETTLE)

    async def submit(self, trigger: uuid.UUID, entries: list[tuple[uuid.UUID, float]], window_ms: int) -> float:
        """Enter these candidates; the seconds left until the contest may be settled, or -1 when it was
        decided long ago (a replayed event)."""
        args: list[str | int | float] = [window_ms]
        for citizen_id, score in entries:
            args += [str(citizen_id), score]
        left = await self._submit(keys=[f"{self._p}{trigger}", f"{self._p}{trigger}:meta"], args=args)
        return -1.0 if int(left) < 0 else int(left) / 1000

    async def winners(self, trigger: uuid.UUID, opportunity_id: uuid.UUID, limit: int) -> list[tuple[uuid.UUID, float]]:
        """The best candidates across all instances, as many as there were free slots at settling."""
        raw = await self._settle(
            keys=[f"{self._p}{trigger}", f"{self._p}{trigger}:meta", f"{self._capacity}{opportunity_id}"],
            args=[limit],
        )
        pairs = zip(raw[::2], raw[1::2], strict=True)
        return [(uuid.UUID(c.decode() if isinstance(c, bytes) else c), float(s)) for c, s in pairs]
