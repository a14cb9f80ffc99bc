"""What a Kafka record may be, and the two ways processing one can fail.

Decoding is done here, by the project, not by FastStream: FastStream's own decoder catches only
JSON and Unicode errors, so a deeply nested document (a `RecursionError`) escaped every guard and
stalled its partition for good. Everything that goes wrong while decoding is `Unprocessable`.
"""

from __future__ import annotations

import json
from typing import Any

#: The newest `schema_version` this code reads; a newer record waits in the dead-letter topic for an upgrade.
SUPPORTED_SCHEMA_VERSION = 1

#: Headers a replay carries (see `brobygger dlq replay`): which dead letter, and which service may act on it.
REPLAY_OF = "replay-of"
REPLAY_FOR = "replay-for"


class Unprocessable(Exception):
    """Permanent: the record can never be processed as it is (bad bytes, wrong schema, too large, ...)."""


class Transient(Exception):
    """Not yet: a server is down or something the record needs has not arrived; retry with backoff.

    `give_up_after_s` bounds a wait for something that may never come (the record is then dead-lettered).
    """

    def __init__(self, message: str, give_up_after_s: float | None = None) -> None:
        super().__init__(message)
        self.give_up_after_s = give_up_after_s


class RecordTooLarge(Unprocessable):
    """A record over the largest accepted size (`KAFKA_MAX_RECORD_BYTES`)."""


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise RecordTooLarge(
            f"invalid message: record of {size} bytes is over the limit of {limit} bytes (KAFKA_MAX_RECORD_BYTES)"
        )


def decode_record(value: bytes | None, max_bytes: int) -> dict[str, Any]:
    """The record's JSON object, or `Unprocessable` naming what is wrong with it (never its content)."""
    if not value:
        raise Unprocessable("invalid message: empty record, no JSON object")
    check_size(len(value), max_bytes)
    try:
        data = json.loads(value)
    except RecursionError:
        raise Unprocessable("invalid message: JSON nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"invalid message: not UTF-8 text (invalid byte at position {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Unprocessable(f"invalid message: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, dict):
        raise Unprocessable(f"invalid message: a JSON {type(data).__name__}, not a JSON object")
    version = data.get("schema_version", 1)
    if isinstance(version, int) and not isinstance(version, bool) and version > SUPPORTED_SCHEMA_VERSION:
        raise Unprocessable(
            f"invalid message: field `schema_version`: {version} is newer than this service reads "
            f"(up to {SUPPORTED_SCHEMA_VERSION})"
        )
    return data


def text_headers(raw: Any) -> dict[str, str]:
    """A record's headers as text; undecodable bytes are replaced, never fatal."""
    return {str(name): (value or b"").decode("utf-8", "replace") for name, value in (raw or ())}
