"""Seals every event about a citizen before it leaves intake."""

from __future__ import annotations

from services.intake.adapters.publisher import EventPublisher
from shared.contracts import (
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    ConsentWithdrawn,
    EmploymentFollowUpRecorded,
    Event,
    ProposalDeclined,
    ProposalTransitioned,
)
from shared.crypto import KeyStore


class SealingPublisher:
    """An `EventPublisher` that writes profile events and declined proposals sealed with the citizen's key.

    It is the one door events leave intake by, so nothing about a citizen reaches Kafka in the clear:
    the whole event is sealed (`Sealed…` types), and inside it the personal part is sealed once more,
    as it is stored by the services that keep it.
    """

    def __init__(self, inner: EventPublisher, keys: KeyStore) -> None:
        self._inner = inner
        self._keys = keys

    async def publish(self, topic: str, key: str, event: Event) -> None:
        if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
            event = await self._keys.seal_event(event, create_key=True)
        elif isinstance(event, ProposalDeclined | ProposalTransitioned | ConsentWithdrawn | EmploymentFollowUpRecorded):
            # Lifecycle events are born sealed: the plain ones never reach a topic.
            event = await self._keys.seal_event(event)
        await self._inner.publish(topic, key, event)
