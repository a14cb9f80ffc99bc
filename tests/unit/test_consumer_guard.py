"""The guard's two kinds of failure, with a fake consumer: permanent ones dead-lettered once, transient ones paused."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.exceptions
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from shared.contracts import DeadLetter, MatchProposed
from shared.guard import MessageGuard, permanent_reason
from shared.records import RecordTooLarge, Transient, Unprocessable, decode_record
from shared.settings import KafkaSettings
from shared.topics import Topics

LIMIT = 1024


def test_deeply_nested_json_is_unprocessable_not_a_crash() -> None:
    with pytest.raises(Unprocessable, match="nested too deeply"):
        decode_record(b"[" * 200_000, 10**6)


def test_a_record_one_byte_over_the_limit_names_its_size_and_the_limit() -> None:
    with pytest.raises(RecordTooLarge, match=f"record of {LIMIT + 1} bytes is over the limit of {LIMIT} bytes"):
        decode_record(b"{" + b" " * (LIMIT - 1) + b"}", LIMIT)
    assert decode_record(b"{" + b" " * (LIMIT - 2) + b"}", LIMIT) == {}


def test_an_unknown_schema_version_is_unprocessable_and_says_which() -> None:
    with pytest.raises(Unprocessable, match="`schema_version`: 7 is newer than this service reads"):
        decode_record(b'{"schema_version": 7}', LIMIT)


@pytest.mark.parametrize(
    ("value", "problem"),
    [(b'{"a": "\xc3\x28"}', "UTF-8"), (b"not json", "not JSON"), (b"[1, 2]", "not a JSON object"), (b"", "empty")],
)
def test_bytes_that_are_not_a_json_object_are_unprocessable(value: bytes, problem: str) -> None:
    with pytest.raises(Unprocessable, match=problem):
        decode_record(value, LIMIT)


def _validation_error() -> ValidationError:
    try:
        MatchProposed.model_validate({"event_type": "MatchProposed"})
    except ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


@pytest.mark.parametrize(
    "exc",
    [
        redis.exceptions.ConnectionError("refused"),
        redis.exceptions.TimeoutError("slow"),
        TimeoutError(),
        ConnectionRefusedError(),
        KafkaConnectionError(),
        smtplib.SMTPResponseException(451, b"try later"),
        Transient("the catalogue is still replaying"),
    ],
)
def test_servers_that_are_down_or_slow_are_transient(exc: Exception) -> None:
    assert permanent_reason(exc) is None


def test_bad_content_and_unexpected_errors_are_permanent_with_a_reason() -> None:
    assert (permanent_reason(_validation_error()) or "").startswith("invalid message: field `")
    assert permanent_reason(Unprocessable("no such citizen")) == "no such citizen"
    assert "refused" in (permanent_reason(smtplib.SMTPResponseException(550, b"no")) or "")
    assert permanent_reason(MessageSizeTooLargeError()) is not None
    assert (permanent_reason(KeyError("x")) or "").startswith("unexpected error: KeyError")


def test_a_refused_recipient_never_puts_the_address_in_the_reason() -> None:
    reason = permanent_reason(smtplib.SMTPRecipientsRefused({"anna@example.org": (550, b"no")})) or ""
    assert "refused" in reason and "anna@example.org" not in reason


@dataclass
class FakeConsumer:
    assigned: set[TopicPartition] = field(default_factory=set)
    paused: set[TopicPartition] = field(default_factory=set)
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset

    def pause(self, *tps: TopicPartition) -> None:
        self.paused.update(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused.difference_update(tps)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def highwater(self, tp: TopicPartition) -> int:
        return 10

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


def _record(offset: int = 3, partition: int = 1) -> Any:
    return ConsumerRecord(
        topic="t.citizens",
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"citizen-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=9,
        serialized_value_size=2,
        headers=[("correlation-id", b"req-1"), ("event-type", b"CitizenErased")],
    )


def _guard(letters: list[tuple[DeadLetter, dict[str, str]]]) -> MessageGuard:
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1", retry_initial_s=0.01, retry_max_s=0.05)
    guard = MessageGuard(KafkaBroker("127.0.0.1:1"), Topics(prefix="t."), "matcher", kafka=kafka)

    async def send_letter(topic: str, key: str, letter: DeadLetter, headers: dict[str, str]) -> None:
        letters.append((letter, headers))

    guard.send_letter = send_letter  # type: ignore[method-assign]
    return guard


async def test_a_transient_failure_pauses_the_partition_and_never_dead_letters_however_often_it_repeats() -> None:
    letters: list[tuple[DeadLetter, dict[str, str]]] = []
    guard, consumer, record = _guard(letters), FakeConsumer(), _record()
    tp = TopicPartition(record.topic, record.partition)
    consumer.assigned.add(tp)
    for _ in range(20):
        await guard.settle(consumer, record, redis.exceptions.ConnectionError("Redis is down"))
        assert tp in consumer.paused and consumer.positions[tp] == record.offset
    assert letters == [] and consumer.commits == []
    assert guard.counters["retried"] == 20 and "Redis is down" in guard.waiting()[0]

    await asyncio.sleep(0.1)  # the backoff (at most 0.05 s here) resumes the partition by itself
    assert tp not in consumer.paused
    await guard.settle(consumer, record, None)
    assert consumer.commits == [{tp: record.offset + 1}] and guard.waiting() == []
    guard.stop()


async def test_a_permanent_failure_is_dead_lettered_once_with_the_place_headers_and_reason_then_committed() -> None:
    letters: list[tuple[DeadLetter, dict[str, str]]] = []
    guard, consumer, record = _guard(letters), FakeConsumer(), _record()
    await guard.settle(consumer, record, Unprocessable("match requested for an unknown citizen"))
    ((letter, headers),) = letters
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == ("t.citizens", 1, 3)
    assert letter.reason == "match requested for an unknown citizen" and letter.key == "citizen-1"
    assert letter.correlation_id == "req-1" and headers["original-event-type"] == "CitizenErased"
    assert consumer.commits == [{TopicPartition("t.citizens", 1): 4}]
    # The same record again (a crash before the commit): the same dead letter id, so readers see one.
    await guard.settle(consumer, record, Unprocessable("match requested for an unknown citizen"))
    assert letters[1][0].event_id == letter.event_id


async def test_a_wait_for_something_that_never_comes_gives_up_to_one_dead_letter() -> None:
    letters: list[tuple[DeadLetter, dict[str, str]]] = []
    guard, consumer, record = _guard(letters), FakeConsumer(), _record()
    consumer.assigned.add(TopicPartition(record.topic, record.partition))
    waiting = Transient(f"no contact details yet for citizen {uuid.uuid4()}", give_up_after_s=0.05)
    await guard.settle(consumer, record, waiting)
    assert letters == []
    await asyncio.sleep(0.06)
    await guard.settle(consumer, record, waiting)
    assert len(letters) == 1 and "gave up after" in letters[0][0].reason
    assert guard.waiting() == []
    guard.stop()


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    guard = _guard([])
    delays = [guard.backoff_s(n) for n in range(1, 12)]
    assert 0.005 <= delays[0] <= 0.01
    assert all(d <= 0.05 for d in delays) and delays[-1] >= 0.025


async def test_a_record_waiting_for_another_record_is_listed_but_does_not_make_the_service_unready() -> None:
    guard, consumer, record = _guard([]), FakeConsumer(), _record()
    consumer.assigned.add(TopicPartition(record.topic, record.partition))
    await guard.settle(consumer, record, Transient("no contact details yet", give_up_after_s=30))
    assert guard.waiting() and guard.waiting(on_servers_only=True) == []
    await guard.settle(consumer, record, redis.exceptions.TimeoutError("Redis is slow"))
    assert guard.waiting(on_servers_only=True)
    guard.stop()
