"""Intake records a citizen before it publishes, so a retry after a 503 is safe and nothing is unknown."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from services.intake import handlers
from services.intake.adapters.publisher import BrokerUnavailable
from services.intake.adapters.store import IntakeStore
from services.intake.domain.access import Principal, Role
from shared.contracts import CitizenProfile, Event
from shared.crypto import KeyRing, KeyStore
from shared.topics import Topics
from tests.conftest import InfraHandle
from tests.samples import profile_payload

pytestmark = pytest.mark.integration


@dataclass
class FlakyPublisher:
    """Fails the first `failures` publishes (the event may still have gone out), then confirms."""

    failures: int
    published: list[Event] = field(default_factory=list)

    async def publish(self, topic: str, key: str, event: Event) -> None:
        self.published.append(event)  # a timed-out publish may still reach the broker
        if self.failures > 0:
            self.failures -= 1
            raise BrokerUnavailable("the event broker did not confirm within 3 s")


@pytest.fixture
async def store(infra: InfraHandle) -> AsyncIterator[IntakeStore]:
    client = Redis.from_url(infra.redis_url)
    yield IntakeStore(client, f"t{uuid.uuid4().hex[:10]}.")
    await client.aclose()


async def test_a_citizen_is_known_before_the_event_goes_out_and_a_retry_republishes_the_same_event_id(
    store: IntakeStore, infra: InfraHandle
) -> None:
    publisher = FlakyPublisher(failures=1)
    keys = KeyStore(Redis.from_url(infra.redis_url), "unused.", KeyRing(current=os.urandom(32)))
    deps = handlers.IntakeDeps(
        publisher=publisher,
        store=store,
        topics=Topics(),
        idempotency_ttl_s=600,
        keys=keys,
        pseudonym_key=os.urandom(32),
    )
    request = handlers.Request(
        correlation_id="req-test",
        caller=Principal(subject="cw-1", role=Role.CASEWORKER, municipality="316"),
        idempotency_key=f"key-{uuid.uuid4()}",
    )
    profile = CitizenProfile.model_validate(profile_payload())
    body = b'{"the": "body"}'

    with pytest.raises(BrokerUnavailable):
        await handlers.submit_profile(deps, request, profile, body)
    first = publisher.published[0]
    # The ranking that event may cause will find a citizen intake knows.
    assert await store.citizen_municipality(first.citizen_id) == "316"  # type: ignore[attr-defined]

    accepted = await handlers.submit_profile(deps, request, profile, body)
    again = await handlers.submit_profile(deps, request, profile, body)  # answered from the idempotency record
    assert accepted == again == {"citizen_id": str(first.citizen_id), "event_id": str(first.event_id)}  # type: ignore[attr-defined]
    assert [e.event_id for e in publisher.published] == [first.event_id, first.event_id]
