"""The opportunity catalogue the matcher keeps in memory, rebuilt from the opportunity topic."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

from shared.contracts import Opportunity

_instances = itertools.count(1)


class Catalogue:
    def __init__(self) -> None:
        self._items: dict[uuid.UUID, Opportunity] = {}
        self.instance = next(_instances)  # with `version`, names this catalogue's state uniquely
        self.version = 0  # bumped on every change, so derived indexes know when to rebuild

    def upsert(self, opportunity_id: uuid.UUID, opportunity: Opportunity) -> None:
        self._items[opportunity_id] = opportunity
        self.version += 1

    def remove(self, opportunity_id: uuid.UUID) -> None:
        if self._items.pop(opportunity_id, None) is not None:
            self.version += 1

    def get(self, opportunity_id: uuid.UUID) -> Opportunity | None:
        return self._items.get(opportunity_id)

    def items(self) -> Iterator[tuple[uuid.UUID, Opportunity]]:
        return iter(self._items.items())

    def __len__(self) -> int:
        return len(self._items)
