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
        stem = re.sub(r"[^A-Za-z0-9.\-]", "_", match.group(1).decode("ascii", "replace")) if match else "no-id"
        # A resend carries the same Message-ID, within the same second too: the running count keeps
        # both copies, so a duplicate shows as two files instead of silently replacing the first.
        # An e-mail holds the citizen's name and address: readable by the owner of the folder only.
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count:06d}-{stem}"
        try:
            write_private(self.folder / f"{name}.eml", content, exclusive=True)  # never replaces a file
        except FileExistsError:
            write_private(self.folder / f"{name}-{time.time_ns()}.eml", content, exclusive=True)
        return "250 Message accepted for delivery"


def start_sink(folder: Path, port: int, host: str = "127.0.0.1") -> Controller:
    """Start the sink in a background thread; call `.stop()` on the result."""
    # aiosmtpd logs every recipient at DEBUG; the sink's own log stays free of addresses.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    return controller
