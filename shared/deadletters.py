"""What became of replayed dead letters, recorded by the service that consumed the replay.

`brobygger dlq list` shows it; a replay whose dead letter is already `applied` is skipped, so
replaying twice changes nothing. One Redis hash per namespace: dead letter id -> outcome (JSON).
"""

from __future__ import annotations

import datetime as dt
import json

from redis.asyncio import Redis


class RedisReplayLedger:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self._r = redis
        self._key = f"{namespace}brobygger:dlq:outcomes"

    async def outcome(self, dead_letter_id: str) -> dict[str, str] | None:
        raw = await self._r.hget(self._key, dead_letter_id)
        return dict(json.loads(raw)) if raw else None

    async def record(self, dead_letter_id: str, status: str, detail: str) -> None:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        await self._r.hset(self._key, dead_letter_id, json.dumps({"status": status, "detail": detail, "at": at}))

    async def all(self) -> dict[str, dict[str, str]]:
        raw = await self._r.hgetall(self._key)
        return {(k.decode() if isinstance(k, bytes) else str(k)): dict(json.loads(v)) for k, v in raw.items()}
