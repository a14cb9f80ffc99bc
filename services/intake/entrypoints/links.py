"""The citizen's answer links: small server-rendered pages, Danish first, no JavaScript, made for a phone.

These routes are the one documented exception to the bearer-token gate (SECURITY.md): the link carries
its own signature (`shared.links`, a JWT whose audience names its purpose), expires with the offer, and
an answer link works once. Opening a link changes nothing (mail scanners open links); the yes or no is
a form POST, which reaches the same use case as `POST /v1/proposals/{id}/answer` (`lifecycle.act`, as
the citizen). A tampered, expired or reused link gets a clear page and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from redis.asyncio import Redis

from services.intake.adapters.lifecycle_store import ProposalRecord
from services.intake.adapters.read_models import CatalogueStore
from services.intake.domain.lifecycle import Action, Actor, IllegalTransition, State
from services.intake.lifecycle import act
from services.intake.lifecycle_views import ViewDeps
from shared import links
from shared.contracts import WeeklySlot
from shared.contracts.common import at_same_time

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
# Security headers (no referrer: the token is in the URL; no store; a CSP without scripts) come from
# `shared.web_security.SecurityHeaders`, with the links' own CSP.
STATE_WORDS = {
    "offered": ("Venter på dit svar.", "Waiting for your answer."),
    "accepted": ("Du har sagt ja.", "You said yes."),
    "shared": ("Du har sagt ja. Vi har givet dem dit navn.", "You said yes. We gave them your name."),
    "interested": ("De vil gerne tale med dig.", "They would like to talk to you."),
    "declined": ("Du har sagt nej.", "You said no."),
    "expired": ("Tiden til at svare er gået.", "The time to answer has passed."),
}


@dataclass
class LinkDeps:
    secret: str
    redis: Redis
    prefix: str
    views: ViewDeps
    clock: Callable[[], dt.datetime]
    #: The catalogue read model: the weekly times of the citizen's proposals, to say which clash.
    catalogue: CatalogueStore | None = None


def get_links(request: Request) -> LinkDeps:
    deps: LinkDeps = request.app.state.links
    return deps


Links = Annotated[LinkDeps, Depends(get_links)]
Token = Annotated[str, Query(max_length=links.MAX_LINK_CHARS, alias="t")]

router = APIRouter(include_in_schema=False)

_INVALID = {
    "tampered": (
        400,
        "Linket virker ikke",
        "Linket er ikke gyldigt. Ring til din sagsbehandler.",
        "This link is not valid. Please call your caseworker.",
    ),
    "wrong_purpose": (
        400,
        "Linket virker ikke",
        "Linket er ikke gyldigt. Ring til din sagsbehandler.",
        "This link is not valid. Please call your caseworker.",
    ),
    "expired": (
        410,
        "Linket er udløbet",
        "Linket er for gammelt. Ring til din sagsbehandler, hvis du vil svare.",
        "This link has expired. Please call your caseworker if you want to answer.",
    ),
    "used": (
        410,
        "Linket er brugt",
        "Du har allerede brugt dette link. Dit svar er gemt.",
        "You have already used this link. Your answer is saved.",
    ),
}


def _page(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def _message(request: Request, status: int, title: str, da: str, en: str) -> HTMLResponse:
    return _page(request, "links_message.html", status, title=title, da=da, en=en)


def _invalid(request: Request, code: str) -> HTMLResponse:
    status, title, da, en = _INVALID[code]
    return _message(request, status, title, da, en)


def _used_key(deps: LinkDeps, link: links.Link) -> str:
    return f"{deps.prefix}intake:link-used:{link.link_id}"


async def _answerable(
    request: Request, deps: LinkDeps, token: str
) -> tuple[links.Link, ProposalRecord] | HTMLResponse:
    """The link and its proposal record, or the page that says why nothing can change."""
    try:
        link = links.verify(deps.secret, token, "answer", now=deps.clock())
    except links.LinkInvalid as exc:
        return _invalid(request, exc.code)
    assert link.proposal_id is not None
    record = await deps.views.lifecycle.store.get(link.proposal_id)
    if record is None or record.citizen_id != link.citizen_id:
        return _invalid(request, "tampered")
    if await deps.redis.exists(_used_key(deps, link)):
        return _invalid(request, "used")
    if record.state is not State.OFFERED:
        da, en = STATE_WORDS.get(record.state.value, ("Forslaget kan ikke besvares nu.", "It cannot be answered now."))
        return _message(request, 409, "Kan ikke besvares", da, en)
    return link, record


#: Proposals the citizen may still take part in: a clash with one of them is worth saying.
_STILL_ON = frozenset({State.OFFERED, State.ACCEPTED, State.SHARED, State.INTERESTED, State.STARTED})


def same_time_titles(
    record: ProposalRecord,
    others: list[ProposalRecord],
    slots: Mapping[uuid.UUID, Sequence[WeeklySlot]] | None = None,
) -> list[str]:
    """Titles of the citizen's other proposals still on that take place at the same time as this
    one, either way round: a ranking names the ones above each proposal (the citizen may open
    either message link first), and `slots` (each opportunity's weekly times) catches two from
    different rankings. Two jobs or placements are alternatives and never name each other."""
    p = record.proposal
    if p is None:
        return []
    named = set(p.reasons.same_time_as)
    times = slots or {}
    mine = (p.kind, times.get(record.opportunity_id, ()))
    return [
        o.proposal.title
        for o in others
        if o.proposal is not None
        and o.proposal_id != record.proposal_id
        and o.state in _STILL_ON
        and (
            o.opportunity_id in named
            or record.opportunity_id in o.proposal.reasons.same_time_as
            or at_same_time(mine, (o.proposal.kind, times.get(o.opportunity_id, ())))
        )
    ]


async def _weekly_times(deps: LinkDeps, records: Sequence[ProposalRecord]) -> dict[uuid.UUID, Sequence[WeeklySlot]]:
    """The weekly times of the opportunities of the citizen's proposals still on (none without the catalogue)."""
    if deps.catalogue is None:
        return {}
    entries = await deps.catalogue.many({r.opportunity_id for r in records if r.state in _STILL_ON})
    return {e.opportunity_id: e.opportunity.schedule.slots for e in entries}


@router.get("/links/answer", response_class=HTMLResponse)
async def answer_page(request: Request, deps: Links, t: Token) -> HTMLResponse:
    """The proposal and two buttons; opening it changes nothing."""
    found = await _answerable(request, deps, t)
    if isinstance(found, HTMLResponse):
        return found
    link, record = found
    records = await deps.views.lifecycle.store.of_citizen(link.citizen_id)
    clashes = same_time_titles(record, records, await _weekly_times(deps, records))
    return _page(request, "links_answer.html", title="Vil du sige ja?", p=record.proposal, token=t, same_time=clashes)


@router.post("/links/answer", response_class=HTMLResponse)
async def answer(
    request: Request,
    deps: Links,
    t: Annotated[str, Form(max_length=links.MAX_LINK_CHARS)],
    answer: Annotated[Literal["accept", "decline"], Form()],
) -> HTMLResponse:
    """The citizen's yes or no, through the same use case as the API answer; the link is then used up."""
    found = await _answerable(request, deps, t)
    if isinstance(found, HTMLResponse):
        return found
    link, _ = found
    assert link.proposal_id is not None
    ttl = max(1, int((link.expires_at - deps.clock()).total_seconds()))
    if not await deps.redis.set(_used_key(deps, link), b"1", nx=True, ex=ttl):
        return _invalid(request, "used")  # a second tap at the same moment
    action = Action.ACCEPT if answer == "accept" else Action.DECLINE
    correlation = f"link-{uuid.uuid4().hex[:16]}"
    try:
        await act(deps.views.lifecycle, link.proposal_id, action, Actor.CITIZEN, str(link.citizen_id), correlation)
    except IllegalTransition as exc:
        da, en = STATE_WORDS.get(exc.current.value, ("Forslaget kan ikke besvares nu.", "It cannot be answered now."))
        return _message(request, 409, "Kan ikke besvares", da, en)
    except Exception:
        await deps.redis.delete(_used_key(deps, link))  # nothing happened: the citizen may try again
        raise
    if action is Action.ACCEPT:
        return _message(
            request,
            200,
            "Tak for dit ja",
            "Tak. Vi giver dem dit navn, og de kontakter dig.",
            "Thank you. We give them your name, and they will contact you.",
        )
    return _message(request, 200, "Tak for dit svar", "Tak. Vi siger det ikke til nogen.", "Thank you. We tell nobody.")


@router.get("/links/list", response_class=HTMLResponse)
async def list_page(request: Request, deps: Links, t: Token) -> HTMLResponse:
    """Every proposal the citizen has been offered, with a fresh answer link for each still open."""
    try:
        link = links.verify(deps.secret, t, "list", now=deps.clock())
    except links.LinkInvalid as exc:
        return _invalid(request, exc.code)
    entries = []
    records = await deps.views.lifecycle.store.of_citizen(link.citizen_id)
    times = await _weekly_times(deps, records)
    for record in reversed(records):
        if record.state.value not in STATE_WORDS or record.proposal is None:
            continue
        answer_url = ""
        if record.state is State.OFFERED:
            token = links.sign(deps.secret, "answer", link.citizen_id, link.expires_at, proposal_id=record.proposal_id)
            answer_url = f"/links/answer?t={token}"
        da, en = STATE_WORDS[record.state.value]
        p = record.proposal
        entries.append(
            {
                "title": p.title,
                "owner_name": p.owner_name,
                "town": p.town,
                "why_da": p.reasons.text_da,
                "why_en": p.reasons.text_en,
                "state_da": da,
                "state_en": en,
                "answer_url": answer_url,
                "same_time": same_time_titles(record, records, times) if record.state in _STILL_ON else [],
            }
        )
    return _page(request, "links_list.html", title="Dine forslag", entries=entries)


def install_links(app: FastAPI, deps: LinkDeps) -> None:
    app.state.links = deps
    app.include_router(router)
