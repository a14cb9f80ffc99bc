"""A local SMTP server (aiosmtpd) that writes each e-mail it receives to a folder as an .eml file."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from brobygger.infra import private_dir, write_private


class FolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private_dir(folder)
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        content: bytes = envelope.original_content or envelope.content
        match = re.search(rb"^Message-ID:\s*<([^>@]+)", content, re.IGNORECASE | re.MULTILINE)
        stem = match.group(1).decode("ascii", "replace") if match else f"{time.time_ns()}"
        # An e-mail holds the citizen's name and address: readable by the owner of the folder only.
        write_private(self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{stem}.eml", content)
        return "250 Message accepted for delivery"


def start_sink(folder: Path, port: int, host: str = "127.0.0.1") -> Controller:
    """Start the sink in a background thread; call `.stop()` on the result."""
    # aiosmtpd logs every recipient at DEBUG; the sink's own log stays free of addresses.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    return controller
