"""The citizen's answer links: signed, expiring, single-use, and good for one purpose only.

The notifier signs them into a message; intake verifies them on its link pages, the one exception to
the bearer-token gate (SECURITY.md). A link is a JWT (HS256, `BROBYGGER_LINK_SECRET`) whose audience
names its purpose, so a list link never answers a proposal; `jti` makes an answer link single-use
(intake remembers it once used, until it expires).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

import jwt

Purpose = Literal["answer", "list"]
ISSUER = "bb"  # short: the link is read in plain-text e-mails
MAX_LINK_CHARS = 2048


class LinkInvalid(Exception):
    """A link that must change nothing: `code` is `tampered`, `expired` or `wrong_purpose`."""

    def __init__(self, code: Literal["tampered", "expired", "wrong_purpose"], message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Link:
    purpose: Purpose
    citizen_id: uuid.UUID
    proposal_id: uuid.UUID | None
    link_id: str
    expires_at: dt.datetime


def sign(
    secret: str,
    purpose: Purpose,
    citizen_id: uuid.UUID,
    expires_at: dt.datetime,
    *,
    proposal_id: uuid.UUID | None = None,
    link_id: str | None = None,
) -> str:
    """A token for a link; `link_id` (jti, up to 32 characters) is derived by the caller so a resent message
    carries the same link. Ids travel as hex to keep the link short."""
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": f"bb:{purpose}",
        "purpose": purpose,
        "sub": citizen_id.hex,
        "exp": int(expires_at.timestamp()),
        "jti": (link_id or uuid.uuid4().hex)[:32],
    }
    if proposal_id is not None:
        claims["pid"] = proposal_id.hex
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str, purpose: Purpose, *, now: dt.datetime | None = None) -> Link:
    """The link `token` carries, or `LinkInvalid` saying why it changes nothing."""
    if len(token) > MAX_LINK_CHARS:
        raise LinkInvalid("tampered", "the link is too long to be one of ours")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=f"bb:{purpose}",
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub", "jti", "purpose"], "verify_exp": False},
        )
    except jwt.InvalidAudienceError as exc:
        raise LinkInvalid("wrong_purpose", f"this link is not an {purpose} link") from exc
    except jwt.InvalidTokenError as exc:
        raise LinkInvalid("tampered", "the link's signature does not verify") from exc
    if claims.get("purpose") != purpose:
        raise LinkInvalid("wrong_purpose", f"this link is not an {purpose} link")
    expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
    # Expiry is checked after the signature, against an injectable clock, so tests need no sleeping.
    if (now or dt.datetime.now(dt.UTC)) >= expires:
        raise LinkInvalid("expired", "the link has expired")
    try:
        citizen_id = uuid.UUID(str(claims["sub"]))
        proposal_id = uuid.UUID(str(claims["pid"])) if "pid" in claims else None
    except ValueError as exc:
        raise LinkInvalid("tampered", "the link names no valid citizen or proposal") from exc
    if purpose == "answer" and proposal_id is None:
        raise LinkInvalid("tampered", "an answer link must name its proposal")
    return Link(purpose, citizen_id, proposal_id, str(claims["jti"])[:100], expires)
