"""Sending e-mail over SMTP (the municipality's relay, or aiosmtpd on a laptop)."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
from email.message import EmailMessage
from typing import Protocol

from services.notifier.config import NotifierSettings


class MailNotSent(ConnectionError):
    """The mail server was not reached, or refused before the message was handed over: nothing went out."""


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    def __init__(self, settings: NotifierSettings) -> None:
        self._s = settings

    def _send_blocking(self, message: EmailMessage) -> None:
        s = self._s
        smtp: smtplib.SMTP | None = None
        try:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    smtp.close()
            # Nothing was handed over yet: a retry is a first send, not a resend.
            raise MailNotSent(f"mail server {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}") from None
        with smtp:
            smtp.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send_blocking, message)
