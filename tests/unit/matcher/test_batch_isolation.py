"""One batch of citizen records, with fakes: a bad record fails alone, a waiting one pauses only its partition."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.exceptions
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker

from services.matcher.domain.catalogue import Catalogue
from services.matcher.entrypoints.stream import handle_batch
from services.matcher.handlers import MatcherDeps
from shared.contracts import DeadLetter, ProposalDeclined, citizen_event_adapter
from shared.guard import MessageGuard
from shared.messaging import decode_each
from shared.settings import KafkaSettings
from shared.topics import Topics
from tests.unit.test_consumer_guard import FakeConsumer

TOPIC = "t.brobygger.citizens.v1"


@dataclass
class Capacity:
    """Releases fine, except for one opportunity whose Redis is "down"."""

    down_for: uuid.UUID
    released: list[uuid.UUID] = field(default_factory=list)

    async def release(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        if opportunity_id == self.down_for:
            raise redis.exceptions.ConnectionError("Redis is down")
        self.released.append(opportunity_id)

    async def reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        return True

    async def reserve_first(self, wanted: Sequence[Any], top_n: int) -> list[int]:
        return []

    async def release_all(self, opportunity_id: uuid.UUID) -> None:
        return None


class Profiles:
    def __init__(self) -> None:
        self.marked: list[uuid.UUID] = []

    async def was_processed(self, event_id: uuid.UUID) -> bool:
        return False

    async def mark_processed_many(self, event_ids: list[uuid.UUID]) -> None:
        self.marked.extend(event_ids)

    async def answered(self, opportunity_id: uuid.UUID, citizen_id: uuid.UUID) -> None:
        return None


class Keys:
    async def is_erased(self, citizen_id: uuid.UUID) -> bool:
        return False


class Broker:
    """Publishes instantly; keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, body: bytes, *, topic: str, **_: Any) -> asyncio.Future[None]:
        self.sent.append((topic, body))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def _declined(opportunity_id: uuid.UUID) -> bytes:
    event = ProposalDeclined(
        correlation_id="batch-test",
        citizen_id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        opportunity_id=opportunity_id,
        by_role="citizen",
    )
    return event.model_dump_json().encode()


def _record(partition: int, offset: int, value: bytes) -> Any:
    return ConsumerRecord(TOPIC, partition, offset, 0, 0, b"k", value, None, 1, len(value), [])


@dataclass
class Message:
    raw_message: tuple[Any, ...]
    consumer: FakeConsumer
    body: Any = None


async def test_a_poison_record_and_a_paused_partition_never_hold_back_the_other_records_of_the_batch() -> None:
    down, fine_b, fine_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    records = (
        _record(0, 10, _declined(down)),  # waits on Redis: partition 0 pauses here
        _record(0, 11, _declined(fine_b)),  # behind it, in order: not run yet
        _record(1, 20, b"[" * 200_000),  # poison: dead-lettered alone
        _record(1, 21, _declined(fine_c)),  # processed
    )
    consumer = FakeConsumer(assigned={TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)})
    broker, profiles, capacity = Broker(), Profiles(), Capacity(down_for=down)
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1", retry_initial_s=5)
    guard = MessageGuard(KafkaBroker("127.0.0.1:1"), Topics(prefix="t."), "matcher", kafka=kafka)
    ready = asyncio.Event()
    ready.set()
    deps = MatcherDeps(
        catalogue=Catalogue(),
        catalogue_ready=ready,
        profiles=profiles,  # type: ignore[arg-type]
        keys=Keys(),  # type: ignore[arg-type]
        capacity=capacity,
        rank=lambda *_: None,  # type: ignore[arg-type,return-value]
        topics=Topics(prefix="t."),
        top_n=3,
        replay_wait_s=1,
    )
    message = Message(records, consumer)
    await decode_each(citizen_event_adapter, kafka.max_record_bytes)(message)  # type: ignore[arg-type]

    await handle_batch(broker, deps, guard, profiles, message)  # type: ignore[arg-type]

    assert capacity.released == [fine_c]
    assert consumer.commits == [{TopicPartition(TOPIC, 1): 22}]
    assert TopicPartition(TOPIC, 0) in consumer.paused and consumer.positions[TopicPartition(TOPIC, 0)] == 10
    dead = Topics(prefix="t.").dead_letters
    (letter,) = [DeadLetter.model_validate_json(body) for topic, body in broker.sent if topic == dead]
    assert (letter.source_partition, letter.source_offset) == (1, 20) and "nested too deeply" in letter.reason
    assert len(profiles.marked) == 1
    assert guard.counters == {"processed": 1, "dead_lettered": 1, "retried": 1}
    guard.stop()
