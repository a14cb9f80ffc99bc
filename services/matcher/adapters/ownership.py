"""Which citizens this matcher instance owns: those whose key falls in its assigned citizen partitions.

Kafka's default partitioner puts a key in `murmur2(key) mod partitions` (aiokafka and the Java
client agree), and the citizens topic is keyed by citizen id, so an instance can tell whether a
citizen is its own from the consumer's current assignment alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker


def partition_of(citizen_id: uuid.UUID, partitions: int) -> int:
    return int(murmur2(str(citizen_id).encode()) & 0x7FFFFFFF) % partitions


class PartitionOwnership:
    """Reads the citizen subscriber's assignment at each `stamp()`; no callback to miss."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self._broker = broker
        self._topic = topic
        self._last: tuple[frozenset[int], int] = (frozenset(), 0)

    def _consumer(self) -> Any:
        for subscriber in self._broker.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is not None and self._topic in (consumer.subscription() or ()):
                return consumer
        return None

    def _state(self) -> tuple[frozenset[int], int]:
        consumer = self._consumer()
        if consumer is None:
            return frozenset(), 0
        owned = frozenset(tp.partition for tp in consumer.assignment() if tp.topic == self._topic)
        every = consumer.partitions_for_topic(self._topic) or set()
        return owned, len(every)

    def stamp(self) -> object:
        """The assignment now; `owns` answers by it until the next stamp."""
        self._last = self._state()
        return self._last

    def owned_count(self) -> int:
        """How many citizen partitions this instance owns now (for /stats)."""
        return len(self._state()[0])

    def owns(self, citizen_id: uuid.UUID) -> bool:
        owned, partitions = self._last
        return partitions > 0 and partition_of(citizen_id, partitions) in owned
