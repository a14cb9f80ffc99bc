"""E-mails as MIME: a plain-text part and an HTML part, with a Message-ID fixed by the caller."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from services.notifier.adapters.render import Rendered


def email(rendered: Rendered, *, sender: str, to: str, message_id: str) -> EmailMessage:
    """One message: text first (what every client shows), HTML as the alternative."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Message-ID"] = message_id
    msg["Date"] = formatdate(localtime=False)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    # After the parts: setting content moves Content-* headers into them.
    msg["Content-Language"] = ", ".join(rendered.languages)
    return msg


def text_of(msg: EmailMessage) -> str:
    """The plain-text part (for logs in tests and the export; never logged with personal data)."""
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""
