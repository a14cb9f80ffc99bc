"""Logging setup: one line per record, ids only; never names, contact details or free text.

Every line carries the correlation id of the request it serves (`cid=`), so one intake can be
followed from the HTTP request to the e-mail with one grep. Code that starts work for a request or
an event sets it with `correlation(cid)`; everything it calls, and every task it starts, inherits it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The correlation id of the work in progress; "-" outside any request or event.
correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


@contextmanager
def correlation(cid: str | None) -> Iterator[None]:
    """Log lines inside this block carry `cid` (a request's or an event's correlation id)."""
    token = correlation_id.set(cid or "-")
    try:
        yield
    finally:
        correlation_id.reset(token)


class CorrelationFilter(logging.Filter):
    """Adds `correlation_id` to every record (client libraries' lines included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


def configure_logging(level: str = "INFO", service: str = "brobygger") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s {service} cid=%(correlation_id)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries are chatty at INFO (every rebalance, every connection).
    for noisy in ("aiokafka", "kafka", "uvicorn.access", "faststream.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
