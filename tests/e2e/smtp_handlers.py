"""SMTP servers that misbehave on purpose: one refuses some recipients, one is slow."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiosmtpd.controller import Controller

from brobygger.infra import free_port

H = TypeVar("H")


@asynccontextmanager
async def serving(handler: H) -> AsyncIterator[tuple[H, int]]:
    """An aiosmtpd server with this handler on a free port, for the block."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@dataclass
class RefusingMail:
    """An SMTP handler that refuses some recipients (550) until told to take them."""

    refusing: set[str] = field(default_factory=set)
    received: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refusing:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        return "250 OK"

    def count(self, address: str) -> int:
        with self.lock:
            return self.received.count(address)


@dataclass
class SlowMail:
    """Takes two seconds over each e-mail, so a SIGTERM can arrive while one is in flight."""

    started: threading.Event = field(default_factory=threading.Event)
    delivered: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.started.set()
        await asyncio.sleep(2.0)
        self.delivered.extend(envelope.rcpt_tos)
        return "250 OK"
