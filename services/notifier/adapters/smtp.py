"""Sending e-mail over SMTP (the municipality's relay, or aiosmtpd on a laptop)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from services.notifier.config import NotifierSettings


class SmtpSender:
    def __init__(self, settings: NotifierSettings) -> None:
        self._s = settings

    def _send_blocking(self, message: EmailMessage) -> None:
        s = self._s
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
            smtp.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send_blocking, message)
