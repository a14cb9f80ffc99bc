"""How every service talks to Kafka: one broker factory, one way to publish, one way to subscribe.

Records are decoded by the project (`shared.records.decode_record`), never by FastStream's default
decoder, and every subscriber's records pass through the service's `MessageGuard` (`shared.guard`):
permanent failures are dead-lettered at once, transient ones pause the partition and retry with
backoff. Offsets are committed by the guard, explicitly, after the effect is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import TypeAdapter

from shared.contracts import Event
from shared.guard import MessageGuard, describe
from shared.records import RecordTooLarge, Transient, Unprocessable, check_size, decode_record
from shared.settings import KafkaSettings
from shared.topics import Topics

__all__ = [
    "MessageGuard",
    "RecordTooLarge",
    "Transient",
    "Unprocessable",
    "build_broker",
    "consumer_options",
    "decode_each",
    "decode_record",
    "decoded_records",
    "describe",
    "event_headers",
    "publish_event",
    "start_consumers",
    "stop_consumers",
    "subscribe",
    "tolerant_parser",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Room for the headers and the batch framing around the largest record.
_REQUEST_OVERHEAD = 64 * 1024


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
        max_request_size=settings.max_record_bytes + _REQUEST_OVERHEAD,
        graceful_timeout=settings.shutdown_timeout_s,
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
    """Group subscriber options: the guard commits after the work is done; start from the beginning."""
    return {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
        "max_partition_fetch_bytes": settings.max_record_bytes + _REQUEST_OVERHEAD,
        "ack_policy": AckPolicy.MANUAL,
    }


def event_bytes(event: Event, max_bytes: int | None = None) -> bytes:
    """The event as JSON; `RecordTooLarge` when it is over the record limit (checked before sending)."""
    body = event.model_dump_json().encode()
    if max_bytes is not None:
        check_size(len(body), max_bytes)
    return body


async def publish_event(broker: KafkaBroker, topic: str, key: str, event: Event, max_bytes: int | None = None) -> None:
    """Publish one event as JSON, keyed, with its type and correlation id as headers (acks=all)."""
    await broker.publish(event_bytes(event, max_bytes), topic=topic, key=key.encode(), headers=event_headers(event))


def event_headers(event: Event) -> dict[str, str]:
    return {"event-type": getattr(event, "event_type", type(event).__name__), "correlation-id": event.correlation_id}


def subscribe(
    broker: KafkaBroker,
    guard: MessageGuard,
    kafka: KafkaSettings,
    *,
    topic: str,
    group_id: str,
    handle: Callable[[Any], Awaitable[None]],
    title: str,
    description: str,
    contract: Any = None,
) -> None:
    """One record at a time in a consumer group; the guard commits after `handle` (or the dead letter).

    With `contract` (a model or an annotated union of models), `handle` gets the validated event and
    the AsyncAPI document shows the contract; without it, `handle` gets the record's bytes (checked
    for size, JSON and schema version first).
    """
    limit = guard.max_record_bytes

    async def checked(message: StreamMessage[Any]) -> Any:
        # Our decoder instead of FastStream's: every decoding error becomes a permanent failure.
        return decode_record(message.body, limit)

    if contract is None:

        async def consume_bytes(message: KafkaMessage) -> None:
            await handle(message.body)  # `checked` has already decoded it once: it is JSON, in size and version

        consumer: Callable[..., Awaitable[None]] = consume_bytes
    else:

        async def consume_event(event: Any) -> None:
            await handle(event)

        consume_event.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=contract)],
            return_annotation=None,
        )
        consume_event.__name__ = title.replace(".", "_")
        consumer = consume_event

    broker.subscriber(  # type: ignore[call-overload]
        topic,
        **consumer_options(kafka, group_id),
        parser=tolerant_parser,
        decoder=checked,
        title=title,
        description=description,
    )(consumer)



#: (topic, purpose, contract, handle, description): one consumer group per service and purpose.
Subscription = tuple[str, str, Any, Callable[[Any], Awaitable[None]], str]


def subscribe_all(
    broker: KafkaBroker,
    guard: MessageGuard,
    kafka: KafkaSettings,
    topics: Topics,
    service: str,
    subscriptions: Iterable[Subscription],
) -> None:
    """`subscribe` for each entry, with the group `topics.group(service, purpose)` and the title `service.purpose`."""
    for topic, purpose, contract, handle, description in subscriptions:
        subscribe(
            broker,
            guard,
            kafka,
            topic=topic,
            group_id=topics.group(service, purpose),
            contract=contract,
            handle=handle,
            title=f"{service}.{purpose}",
            description=description,
        )


async def tolerant_parser(raw: Any, default: Callable[[Any], Awaitable[StreamMessage[Any]]]) -> StreamMessage[Any]:
    """FastStream's parser, after replacing header bytes that are not UTF-8 (they would fail the batch).

    A header is metadata, never the content: a record is judged by its body alone.
    """
    if isinstance(raw, tuple):
        return await default(tuple(_text_safe(record) for record in raw))
    return await default(_text_safe(raw))


def _text_safe(record: Any) -> Any:
    try:
        for _, value in record.headers or ():
            (value or b"").decode()
    except UnicodeDecodeError:
        headers = [(name, (value or b"").decode("utf-8", "replace").encode()) for name, value in record.headers]
        return dataclasses.replace(record, headers=headers)
    return record


def decode_each(adapter: TypeAdapter[Any], max_bytes: int) -> Callable[[StreamMessage[Any]], Awaitable[list[Any]]]:
    """A batch decoder that decodes and validates each record on its own, so one bad record fails alone.

    The subscriber's typed argument gets the events that decoded; `decoded_records(message)` gives
    every record with its event or the error that the guard will dead-letter.
    """

    async def decode(message: StreamMessage[Any]) -> list[Any]:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        decoded: list[tuple[Any, Any]] = []
        for record in records:
            try:
                decoded.append((record, adapter.validate_python(decode_record(record.value, max_bytes))))
            except Exception as exc:  # kept with its record, dead-lettered by the guard
                decoded.append((record, exc))
        message.decoded_records = decoded  # type: ignore[attr-defined]
        return [event for _, event in decoded if not isinstance(event, BaseException)]

    return decode


def decoded_records(message: StreamMessage[Any]) -> list[tuple[Any, Any]]:
    """(record, event or error) for every record of a batch decoded by `decode_each`."""
    found: list[tuple[Any, Any]] = getattr(message, "decoded_records", [])
    return found


async def start_consumers(broker: KafkaBroker) -> None:
    """`broker.start()`, but joining every consumer group at once instead of one after the other."""
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


async def stop_consumers(broker: KafkaBroker, guard: MessageGuard, timeout_s: float) -> None:
    """Stop fetching, let in-flight records finish and commit (bounded by `timeout_s`), then close."""
    guard.stop()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(broker.stop(), timeout_s)
