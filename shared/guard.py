"""The guard every consumer runs its records through.

Two kinds of failure, handled differently:
- permanent (`Unprocessable`, a validation error, anything that goes wrong while decoding, an
  unexpected error in a handler): the record goes to the dead-letter topic at once, with the reason,
  and its partition moves on. Dead letters have ids derived from the record's place, so a dead
  letter sent twice (a crash before the commit) is one dead letter to its readers.
- transient (a server that is down or slow, `Transient`): the partition is paused, the consumer
  seeks back to the record and resumes the partition after an exponential backoff with jitter, as
  long as the outage lasts. Nothing is dead-lettered or dropped; `/readyz` says what it waits on.

FastStream calls the guard as a broker middleware for every record; batch subscribers and the
catalogue follower call `attempt` / `retry_later` / `finish` themselves, one record at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import smtplib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, TypeAlias

import httpx
import redis.exceptions
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from shared.consumer_metrics import ConsumerMetrics
from shared.contracts import DeadLetter, derive_id
from shared.logging import correlation_id
from shared.records import REPLAY_FOR, REPLAY_OF, Transient, Unprocessable, text_headers
from shared.settings import KafkaSettings
from shared.topics import Topics

log = logging.getLogger("brobygger.consumer")

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
PublishLetter = Callable[[str, str, DeadLetter, dict[str, str]], Awaitable[object]]

_TRANSIENT: tuple[type[BaseException], ...] = (
    Transient,
    OSError,  # ConnectionError, TimeoutError, socket errors
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    httpx.TransportError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


def permanent_reason(exc: BaseException) -> str | None:
    """Why the record can never be processed, or None when the failure is transient."""
    if isinstance(exc, KafkaError) and not isinstance(exc, MessageSizeTooLargeError):
        return None
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return "mail server refused the recipient or sender"  # its text names the address: never kept
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"mail server refused it: {exc.smtp_code}" if exc.smtp_code >= 500 else None
    if isinstance(exc, _TRANSIENT):
        return None
    if isinstance(exc, ValidationError):
        return f"invalid message: {describe(exc)}"
    if isinstance(exc, Unprocessable):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return "invalid message: text that is not UTF-8"
    if isinstance(exc, RecursionError):
        return "nested too deeply to process"
    return f"unexpected error: {type(exc).__name__}: {exc}"


def describe(exc: ValidationError) -> str:
    """Field paths and problems, never the input values (they may be personal)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:10]:
        loc = err["loc"][1:] if err["loc"][:1] == ("event",) else err["loc"]  # a typed subscriber's argument
        where = ".".join(str(p) for p in loc) or "(message)"
        parts.append(f"field `{where}`: {err['msg']}")
    return "; ".join(parts)


class ReplayLedger(Protocol):
    """Where a consuming service records what became of a replayed dead letter."""

    async def outcome(self, dead_letter_id: str) -> dict[str, str] | None: ...
    async def record(self, dead_letter_id: str, status: str, detail: str) -> None: ...


@dataclass
class Outcome:
    """What became of one record: applied, dead_lettered, skipped, or retry (with the cause)."""

    record: Record
    status: str
    detail: str = ""
    error: BaseException | None = None


@dataclass
class _Failure:
    offset: int
    since: float
    attempts: int = 0
    reason: str = ""
    server_down: bool = True  # False while a record only waits for another one (it gives up in time)


@dataclass
class MessageGuard:
    """Runs records for one service; dead-letters what can never be processed, retries the rest."""

    broker: KafkaBroker
    topics: Topics
    service: str
    kafka: KafkaSettings | None = None
    ledger: ReplayLedger | None = None
    counters: Counter[str] = field(default_factory=Counter)
    metrics: ConsumerMetrics = field(init=False)
    _failures: dict[TopicPartition, _Failure] = field(default_factory=dict)
    _timers: dict[TopicPartition, asyncio.TimerHandle] = field(default_factory=dict)
    _done: dict[TopicPartition, int] = field(default_factory=dict)
    _consumers: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Declared for the AsyncAPI document; dead letters go out through `send_letter`.
        self.broker.publisher(
            self.topics.dead_letters,
            schema=DeadLetter,
            title=f"{self.service}.deadLetters",
            description=f"Records {self.service} can never process: where they were and why, never their content.",
        )
        self.metrics = ConsumerMetrics(self.service)
        self.metrics.watch_lag(self._lag)
        # FastStream builds one middleware per record from this callable (see `__call__`).
        self.broker.add_middleware(self)

    # -- limits and backoff -------------------------------------------------------------------

    @property
    def max_record_bytes(self) -> int:
        return self.kafka.max_record_bytes if self.kafka else KafkaSettings.model_fields["max_record_bytes"].default

    def backoff_s(self, attempt: int) -> float:
        """Exponential backoff with jitter: 0.2, 0.4, 0.8 ... s up to the cap, each scaled by 0.5-1.0."""
        initial = self.kafka.retry_initial_s if self.kafka else 0.2
        cap = self.kafka.retry_max_s if self.kafka else 30.0
        return float(min(cap, initial * 2 ** min(attempt - 1, 30)) * random.uniform(0.5, 1.0))

    # -- the FastStream middleware --------------------------------------------------------------

    def __call__(self, msg: Any, /, *, context: Any) -> _GuardMiddleware:
        return _GuardMiddleware(msg, context=context, guard=self)

    # -- one record -----------------------------------------------------------------------------

    async def should_handle(self, record: Record) -> bool:
        """False for a replay meant for another service, or one this service has already resolved."""
        headers = text_headers(record.headers)
        target = headers.get(REPLAY_FOR)
        if target is not None and target != self.service:
            return False
        replay_of = headers.get(REPLAY_OF)
        if replay_of and self.ledger is not None:
            earlier = await self.ledger.outcome(replay_of)
            if earlier is not None and earlier.get("status") == "applied":
                return False
        return True

    def outcome_of(self, record: Record, exc: BaseException | None) -> Outcome:
        """Classify how processing the record ended (no side effects)."""
        if exc is None:
            return Outcome(record, "applied")
        reason = permanent_reason(exc)
        if reason is None and isinstance(exc, Transient) and exc.give_up_after_s is not None:
            failure = self._failures.get(TopicPartition(record.topic, record.partition))
            if failure is not None and failure.offset == record.offset:
                waited = time.monotonic() - failure.since
                if waited >= exc.give_up_after_s:
                    reason = f"{exc} (gave up after {waited:.0f} s)"
        if reason is None:
            return Outcome(record, "retry", f"{type(exc).__name__}: {exc}"[:300], exc)
        return Outcome(record, "dead_lettered", reason[:2000], exc)

    async def attempt(self, record: Record, handle: Callable[[], Awaitable[None]], publish: PublishLetter) -> Outcome:
        """Run `handle` for one record of a batch; a dead letter goes out through `publish` (an outbox)."""
        if not await self.should_handle(record):
            return Outcome(record, "skipped")
        started = time.perf_counter()
        token = correlation_id.set(text_headers(record.headers).get("correlation-id", "-"))
        try:
            self.metrics.consumed.labels(self.service, record.topic).inc()
            try:
                await handle()
            except Exception as exc:
                outcome = self.outcome_of(record, exc)
            else:
                outcome = Outcome(record, "applied")
            if outcome.status == "dead_lettered":
                letter, headers = self.letter(record, outcome.detail)
                await publish(self.topics.dead_letters, letter.key or "", letter, headers)
            self.metrics.latency.labels(self.service, record.topic).observe(time.perf_counter() - started)
            return outcome
        finally:
            correlation_id.reset(token)

    async def settle(self, consumer: Any, record: Record, exc: BaseException | None, *, commit: bool = True) -> None:
        """After one record: commit it, dead-letter it, or pause its partition to retry it."""
        outcome = self.outcome_of(record, exc)
        if outcome.status == "retry":
            self.retry_later(consumer, record, outcome)
            return
        if outcome.status == "dead_lettered":
            letter, headers = self.letter(record, outcome.detail)
            try:
                await self.send_letter(self.topics.dead_letters, letter.key or "", letter, headers)
            except Exception as publish_failed:  # the broker is down: the dead letter waits as well
                self.retry_later(consumer, record, Outcome(record, "retry", repr(publish_failed), publish_failed))
                return
        await self.finish(consumer, [outcome], commit=commit)

    async def send_letter(self, topic: str, key: str, letter: DeadLetter, headers: dict[str, str]) -> None:
        """Publish a dead letter and wait for the broker's acknowledgement."""
        await self.broker.publish(letter.model_dump_json().encode(), topic=topic, key=key.encode(), headers=headers)

    def letter(self, record: Record, reason: str) -> tuple[DeadLetter, dict[str, str]]:
        """The dead letter for a record: where it was and why, never its content."""
        original = text_headers(record.headers)
        where = f"{record.topic}/{record.partition}/{record.offset}"
        letter = DeadLetter(
            event_id=derive_id("dead-letter", self.service, record.topic, record.partition, record.offset),
            correlation_id=(original.get("correlation-id") or where)[:100],
            service=self.service,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            reason=reason[:2000],
            payload_size=len(record.value or b""),
        )
        headers = {f"original-{name}": value for name, value in original.items()}
        headers.update({"event-type": letter.event_type, "correlation-id": letter.correlation_id})
        return letter, headers

    async def finish(self, consumer: Any, outcomes: Iterable[Outcome], *, commit: bool = True) -> None:
        """The effects of these records are durable: record replay outcomes, then commit past them."""
        offsets: dict[TopicPartition, int] = {}
        for outcome in outcomes:
            record = outcome.record
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
            self._count(outcome)
            replay_of = text_headers(record.headers).get(REPLAY_OF)
            if replay_of and self.ledger is not None and outcome.status != "skipped":
                await self.ledger.record(replay_of, outcome.status, outcome.detail)
        for tp, offset in offsets.items():
            self._done[tp] = offset
            failure = self._failures.get(tp)
            if failure is not None and failure.offset < offset:
                del self._failures[tp]
        self.metrics.paused.labels(self.service).set(len(self._failures))
        if commit and offsets:
            try:
                await consumer.commit(offsets)
            except Exception as exc:  # a rebalance took the partition: its next owner re-runs it (idempotent)
                log.warning("commit of %s failed (%s); the records may be processed again", offsets, exc)

    def _count(self, outcome: Outcome) -> None:
        record = outcome.record
        if outcome.status == "applied":
            self.counters["processed"] += 1
            self.metrics.processed.labels(self.service, record.topic).inc()
        elif outcome.status == "dead_lettered":
            self.counters["dead_lettered"] += 1
            self.metrics.dead_lettered.labels(self.service, record.topic).inc()
            log.warning(
                "dead-lettered %s/%d@%d: %s", record.topic, record.partition, record.offset, outcome.detail[:300]
            )
        elif outcome.status == "skipped":
            self.counters["skipped"] += 1

    # -- transient failures ---------------------------------------------------------------------

    def retry_later(self, consumer: Any, record: Record, outcome: Outcome) -> None:
        """Pause the record's partition, seek back to it, and resume after a backoff."""
        tp = TopicPartition(record.topic, record.partition)
        failure = self._failures.get(tp)
        if failure is None or failure.offset != record.offset:
            failure = self._failures[tp] = _Failure(offset=record.offset, since=time.monotonic())
        failure.attempts += 1
        failure.reason = outcome.detail
        failure.server_down = not (isinstance(outcome.error, Transient) and outcome.error.give_up_after_s is not None)
        delay = self.backoff_s(failure.attempts)
        self.counters["retried"] += 1
        self.metrics.retried.labels(self.service, record.topic).inc()
        self.metrics.paused.labels(self.service).set(len(self._failures))
        if consumer not in self._consumers:
            self._consumers.append(consumer)
        try:
            consumer.seek(tp, record.offset)
            consumer.pause(tp)
        except Exception as exc:  # revoked meanwhile: its next owner reads it from the committed offset
            log.warning("could not pause %s/%d to retry offset %d: %r", *tp, record.offset, exc)
        log.warning(
            "%s/%d@%d: %s; partition paused, retry %d in %.1f s",
            record.topic,
            record.partition,
            record.offset,
            failure.reason,
            failure.attempts,
            delay,
        )
        earlier = self._timers.pop(tp, None)
        if earlier is not None:
            earlier.cancel()
        self._timers[tp] = asyncio.get_running_loop().call_later(delay, self._resume, consumer, tp)

    def _resume(self, consumer: Any, tp: TopicPartition) -> None:
        self._timers.pop(tp, None)
        try:
            assigned = tp in consumer.assignment()
        except Exception:
            assigned = False
        if not assigned:
            self._failures.pop(tp, None)
            self.metrics.paused.labels(self.service).set(len(self._failures))
            return
        with contextlib.suppress(Exception):
            consumer.resume(tp)

    def waiting(self, *, on_servers_only: bool = False) -> list[str]:
        """What the consumers wait on, one line per paused partition (empty when all flow).

        `on_servers_only` leaves out records that only wait for another record to arrive (a ranking
        before the citizen's contact details): the service is not unready for that.
        """
        now = time.monotonic()
        return [
            f"{tp.topic}/{tp.partition}@{f.offset}: {f.reason} ({f.attempts} attempts, {now - f.since:.0f} s)"
            for tp, f in sorted(self._failures.items())
            if f.server_down or not on_servers_only
        ]

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def watch(self, consumer: Any) -> None:
        """Report this consumer's lag too (FastStream's consumers are found on their own)."""
        if consumer not in self._consumers:
            self._consumers.append(consumer)

    def _lag(self) -> Iterable[tuple[str, int, int]]:
        consumers = list(self._consumers)
        for subscriber in self.broker.subscribers:
            found = getattr(subscriber, "consumer", None)
            if found is not None and found not in consumers:
                consumers.append(found)
        for consumer in consumers:
            with contextlib.suppress(Exception):
                for tp in consumer.assignment():
                    high = consumer.highwater(tp)
                    if high is not None:
                        yield tp.topic, tp.partition, max(0, high - self._done.get(tp, high))


class _GuardMiddleware(BaseMiddleware):
    """One record through a FastStream subscriber: skip foreign replays, settle the result."""

    def __init__(self, msg: Any, /, *, context: Any, guard: MessageGuard) -> None:
        super().__init__(msg, context=context)
        self.guard = guard
        self._token: Any = None
        self._started = time.perf_counter()

    def _record(self) -> Record | None:
        return self.msg if isinstance(self.msg, ConsumerRecord) else None

    async def on_receive(self) -> None:
        record = self._record()
        if record is not None:
            self._token = correlation_id.set(text_headers(record.headers).get("correlation-id", "-"))
            self.guard.metrics.consumed.labels(self.guard.service, record.topic).inc()

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        record = self._record()
        if record is not None and not await self.guard.should_handle(record):
            self.guard.counters["skipped"] += 1
            return None
        return await call_next(msg)

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        result = await call_next(cmd)
        self.guard.metrics.produced.labels(self.guard.service, str(getattr(cmd, "destination", ""))).inc()
        return result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if self.msg is None:
            return False
        if exc_val is not None and not isinstance(exc_val, Exception):
            return False  # cancellation and exits pass through
        try:
            consumer = self._consumer()
            record = self._record()
            if record is not None:
                await self.guard.settle(consumer, record, exc_val)
                self.guard.metrics.latency.labels(self.guard.service, record.topic).observe(
                    time.perf_counter() - self._started
                )
                return True
            if exc_val is not None and isinstance(self.msg, tuple) and self.msg:
                # A batch handler settles its own records; an error escaping it retries the whole batch.
                for first in _first_of_each_partition(self.msg):
                    self.guard.retry_later(consumer, first, self.guard.outcome_of(first, Transient(repr(exc_val))))
                return True
            return False
        finally:
            if self._token is not None:
                correlation_id.reset(self._token)

    def _consumer(self) -> Any:
        record = self.msg[0] if isinstance(self.msg, tuple) and self.msg else self.msg
        found = getattr(record, "consumer", None)
        if found is None:
            handler = self.context.get_local("handler_")
            found = getattr(handler, "consumer", None)
        return found


def _first_of_each_partition(records: tuple[Record, ...]) -> list[Record]:
    first: dict[tuple[str, int], Record] = {}
    for record in records:
        key = (record.topic, record.partition)
        if key not in first or record.offset < first[key].offset:
            first[key] = record
    return list(first.values())
