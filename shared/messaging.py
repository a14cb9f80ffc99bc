"""How every service talks to Kafka: one broker factory, one way to fail a message.

A message that cannot be processed is never lost silently: a malformed or unprocessable one goes
to the dead-letter topic with the reason at once; an unexpected error is retried a few times
(the offset is not committed), then dead-lettered. Counters say how many of each.
"""

from __future__ import annotations

import logging
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import ValidationError

from shared.contracts import DeadLetter, Event
from shared.settings import KafkaSettings
from shared.topics import Topics

log = logging.getLogger(__name__)


def build_broker(settings: KafkaSettings, client_id: str, *, log_each_message: bool = False) -> KafkaBroker:
    """A FastStream Kafka broker; nothing connects until `start()`."""
    return KafkaBroker(
        settings.bootstrap_servers.split(","),
        client_id=client_id,
        acks="all",
        # Idempotent producers are not supported by every Kafka-protocol broker; exactly-once comes
        # from derived event ids and consumer de-duplication instead.
        enable_idempotence=False,
        linger_ms=0,
        request_timeout_ms=settings.request_timeout_ms,
        graceful_timeout=10.0,
        logger=log if log_each_message else None,
        security=kafka_security(settings),
    )


def kafka_security(settings: KafkaSettings) -> BaseSecurity | None:
    """SASL/SCRAM or TLS from settings; None for a plaintext local broker."""
    use_ssl = settings.security_protocol in ("SSL", "SASL_SSL")
    ssl_context = ssl.create_default_context() if use_ssl else None
    if settings.sasl_mechanism is None:
        return BaseSecurity(ssl_context=ssl_context) if use_ssl else None
    user = settings.sasl_username or ""
    password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    if settings.sasl_mechanism == "SCRAM-SHA-256":
        return SASLScram256(user, password, ssl_context=ssl_context)
    if settings.sasl_mechanism == "SCRAM-SHA-512":
        return SASLScram512(user, password, ssl_context=ssl_context)
    return SASLPlaintext(user, password, ssl_context=ssl_context)


def consumer_options(settings: KafkaSettings, group_id: str) -> dict[str, object]:
    """Group subscriber options: commit only after the work is done, start from the beginning."""
    return {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
    }


async def publish_event(broker: KafkaBroker, topic: str, key: str, event: Event) -> None:
    """Publish one event as JSON, keyed, with its type and correlation id as headers (acks=all)."""
    await broker.publish(
        event.model_dump_json().encode(),
        topic=topic,
        key=key.encode(),
        headers=event_headers(event),
    )


def event_headers(event: Event) -> dict[str, str]:
    return {"event-type": getattr(event, "event_type", type(event).__name__), "correlation-id": event.correlation_id}


def subscribe(
    broker: KafkaBroker,
    guard: MessageGuard,
    kafka: KafkaSettings,
    *,
    topic: str,
    group_id: str,
    handle: Callable[[bytes], Awaitable[None]],
    title: str,
    description: str,
) -> None:
    """One record at a time in a consumer group; the offset is committed after `handle` (or the dead letter)."""

    @broker.subscriber(  # type: ignore[call-overload,untyped-decorator]
        topic,
        **consumer_options(kafka, group_id),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=title,
        description=description,
    )
    async def consume(message: KafkaMessage) -> None:
        await guard.run(message.raw_message, handle)


class Unprocessable(Exception):
    """The message can never be processed as it is (bad content, unknown reference)."""


@dataclass
class MessageGuard:
    """Runs a handler for one record; dead-letters what cannot be processed."""

    broker: KafkaBroker
    topics: Topics
    service: str
    max_attempts: int = 5
    counters: Counter[str] = field(default_factory=Counter)
    _attempts: Counter[tuple[str, int, int]] = field(default_factory=Counter)

    async def run(self, record: ConsumerRecord[bytes, bytes], handle: Callable[[bytes], Awaitable[None]]) -> None:
        where = (record.topic, record.partition, record.offset)
        try:
            await handle(record.value or b"")
        except ValidationError as exc:
            await self.dead_letter(record, f"invalid message: {_describe(exc)}")
        except Unprocessable as exc:
            await self.dead_letter(record, str(exc))
        except Exception as exc:
            self._attempts[where] += 1
            if self._attempts[where] < self.max_attempts:
                self.counters["retried"] += 1
                log.warning("retrying %s/%d@%d after %s", *where, type(exc).__name__)
                log.debug("retry cause", exc_info=True)
                raise
            del self._attempts[where]
            await self.dead_letter(record, f"failed {self.max_attempts} times: {type(exc).__name__}: {exc}")
        else:
            self.counters["processed"] += 1
            self._attempts.pop(where, None)

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        self.counters["dead_lettered"] += 1
        key = record.key.decode("utf-8", "replace") if record.key else None
        log.warning("dead-lettered %s/%d@%d: %s", record.topic, record.partition, record.offset, reason)
        letter = DeadLetter(
            correlation_id=f"{record.topic}/{record.partition}/{record.offset}",
            service=self.service,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            key=key,
            reason=reason[:2000],
            payload_size=len(record.value or b""),
        )
        await self.broker.publish(
            letter.model_dump_json().encode(),
            topic=self.topics.dead_letters,
            key=(key or "").encode(),
            headers={"event-type": letter.event_type},
        )


def _describe(exc: ValidationError) -> str:
    """Field paths and problems, never the input values (they may be personal)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "(message)"
        parts.append(f"field `{where}`: {err['msg']}")
    return "; ".join(parts)
