"""Publishing events to Kafka within a bounded time."""

from __future__ import annotations

import asyncio
from typing import Protocol

from faststream.kafka import KafkaBroker

from shared.contracts import Event
from shared.messaging import publish_event


class BrokerUnavailable(Exception):
    """The broker did not confirm the event in time."""


class EventPublisher(Protocol):
    async def publish(self, topic: str, key: str, event: Event) -> None: ...


class KafkaEventPublisher:
    def __init__(self, broker: KafkaBroker, timeout_s: float) -> None:
        self._broker = broker
        self._timeout_s = timeout_s

    async def publish(self, topic: str, key: str, event: Event) -> None:
        """Wait for the broker's acknowledgement (acks=all), or raise `BrokerUnavailable`."""
        try:
            await asyncio.wait_for(publish_event(self._broker, topic, key, event), timeout=self._timeout_s)
        except (TimeoutError, OSError, ConnectionError) as exc:
            raise BrokerUnavailable(f"the event broker did not confirm within {self._timeout_s:g} s") from exc
        except Exception as exc:  # aiokafka raises its own KafkaError family
            if type(exc).__module__.startswith(("aiokafka", "kafka")):
                raise BrokerUnavailable(f"the event broker refused the event: {type(exc).__name__}") from exc
            raise
