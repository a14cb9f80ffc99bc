"""Logging setup: one line per record, ids only; never names, contact details or free text."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str = "INFO", service: str = "brobygger") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries are chatty at INFO (every rebalance, every connection).
    for noisy in ("aiokafka", "kafka", "uvicorn.access", "faststream.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
