"""Seals the personal part of every profile event before it leaves intake."""

from __future__ import annotations

from services.intake.adapters.publisher import EventPublisher
from shared.contracts import CitizenProfileSubmitted, CitizenProfileUpdated, Event
from shared.crypto import KeyStore


class SealingPublisher:
    """An `EventPublisher` that encrypts each profile's personal part with the citizen's own key.

    It is the one door events leave intake by, so nothing personal reaches Kafka in the clear.
    """

    def __init__(self, inner: EventPublisher, keys: KeyStore) -> None:
        self._inner = inner
        self._keys = keys

    async def publish(self, topic: str, key: str, event: Event) -> None:
        if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
            sealed = await self._keys.seal_profile(event.citizen_id, event.profile)
            event = event.model_copy(update={"profile": sealed})
        await self._inner.publish(topic, key, event)
