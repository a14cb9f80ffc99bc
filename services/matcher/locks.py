"""One citizen's proposals are changed by one task at a time in this process.

The citizen consumer (a ranking) and reverse matching (a proposal added) both rewrite a citizen's
current set; both run in the instance that owns the citizen's partition, so an in-process lock per
citizen keeps them from interleaving. Locks are dropped when nobody holds or waits for them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class CitizenLocks:
    def __init__(self) -> None:
        self._locks: dict[uuid.UUID, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def __call__(self, citizen_id: uuid.UUID) -> AsyncIterator[None]:
        lock, users = self._locks.get(citizen_id, (asyncio.Lock(), 0))
        self._locks[citizen_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[citizen_id]
            if users == 1:
                del self._locks[citizen_id]
            else:
                self._locks[citizen_id] = (lock, users - 1)
