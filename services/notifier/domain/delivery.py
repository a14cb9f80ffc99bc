"""The notification rule for one ranking: one e-mail, at most one resend, always the same Message-ID.

A delivery record says what happened to the e-mail of one ranking. `sending` is written before the
mail server is asked and `sent` after it said yes; a crash in between leaves `sending`, and the
redelivered ranking cannot know whether the mail went out. It is then sent once more, with the same
Message-ID (mail clients show one message), and never a third time. A send the mail server refused
outright (it could not be reached) is known not to have gone out and does not count.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

MAX_SENDS = 2  # the first send and at most one resend

Step = Literal["send", "give_up", "done"]


def message_id(match_event_id: uuid.UUID, domain: str) -> str:
    """Derived from the ranking event, so a resend after a crash carries the same Message-ID."""
    return f"<{match_event_id}@{domain}>"


def sends_so_far(earlier: dict[str, Any] | None) -> int:
    """Sends that may have reached the mail server (records from before this rule count as one)."""
    if earlier is None:
        return 0
    return int(earlier.get("sends", 1 if earlier.get("state") == "sending" else 0))


def next_step(earlier: dict[str, Any] | None) -> Step:
    """What to do with a ranking, given its delivery record (None when it was never seen)."""
    if earlier is None or earlier.get("state") == "not_sent":
        return "send"
    if earlier.get("state") != "sending":
        return "done"  # sent, or held for the caseworker
    return "send" if sends_so_far(earlier) < MAX_SENDS else "give_up"
