"""What a message says, before any language: the citizen's digest and the owner's candidate notice.

Pure: no templates, sockets or clocks. The adapters turn these into words (Jinja2 templates with
gettext catalogues, one section per language) and into MIME or a webhook's JSON body. Reasons travel
as language-free facts, so a Danish sentence never carries an English skill label: the number of
skills that fit is said, not their (English) names.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from shared.contracts import MessageLanguage, OpportunityKind, Proposal, SharedDetails, derive_id
from shared.contracts.common import Weekday, WeeklySlot, refused_character

# Anything a mail client might turn into a link: a scheme, `www.`, an e-mail address, a bare domain.
_LINKISH = re.compile(
    r"(?i)\b[a-z][a-z0-9+.\-]*://\S*|\bwww\.\S*|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+|\b[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}\b"
)


def _defang(match: re.Match[str]) -> str:
    return match.group(0).replace("://", "[:]//").replace("@", "[at]").replace(".", "[.]")


def owner_text(text: str) -> str:
    """Text an opportunity's owner wrote, made inert: no controls, nothing a mail client makes a link.
    The templates quote it and say who wrote it, so it cannot pose as the jobcentre."""
    visible = "".join(ch for ch in text if refused_character(ch) is None)
    one_line = " ".join(unicodedata.normalize("NFC", visible).split())
    return _LINKISH.sub(_defang, one_line).replace("“", "'").replace("”", "'").replace('"', "'")


FactCode = Literal[
    "commute",
    "danish_ok",
    "mentor",
    "skills",
    "opens_jobs",
    "hours_fit",
    "interests",
    "practise_danish",
    "hours_overlap",
    "hours_exceed",
    "previous_job",
    "builds_on_skills",
    "fits_previous_job",
    "same_time",
]


@dataclass(frozen=True)
class Fact:
    """One reason, without words: `commute` (minutes, mode), `skills` (how many fit), …"""

    code: FactCode
    number: int = 0
    mode: str = ""
    estimated: bool = False  # a commute measured from the postcode's point, not the home address
    numbers: tuple[int, ...] = ()  # `same_time`: the numbers in the message of the items it clashes with


@dataclass(frozen=True)
class Contact:
    """Who the citizen can call or write to about the message."""

    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class OpportunityFacts:
    """What the notifier keeps of an opportunity from the catalogue topic."""

    owner: str  # `company:<cvr>` or `association:<id>` ("" for an education provider)
    owner_name: str
    owner_email: str | None
    hours_per_week: float | None
    times: tuple[Times, ...] = ()
    slots: tuple[WeeklySlot, ...] = ()  # the same times as data (none in facts kept before the hours)
    legacy_webhook_url: str | None = None  # deprecated `owner.webhook_url`: kept for reading, never delivered to


WEEK: tuple[str, ...] = get_args(Weekday)


@dataclass(frozen=True)
class Times:
    """Days with the same hours: ("tue", "thu"), "16", "21:30" (whole hours without minutes).

    No hours (`start` empty) in facts kept before the notifier stored them: the days alone."""

    days: tuple[str, ...]
    start: str = ""
    end: str = ""


def _clock(hhmm: str) -> str:
    """'16:00' -> '16', '08:30' -> '8:30'."""
    hours, minutes = hhmm.split(":")[:2]
    return str(int(hours)) if minutes == "00" else f"{int(hours)}:{minutes}"


def times(slots: Iterable[tuple[str, str, str]]) -> tuple[Times, ...]:
    """Weekly slots grouped by their hours, in the order of the week's first day of each group."""
    groups: dict[tuple[str, str], set[str]] = {}
    for day, start, end in slots:
        groups.setdefault((start, end), set()).add(day)
    ordered = sorted(groups.items(), key=lambda g: (min(WEEK.index(d) for d in g[1]), g[0]))
    return tuple(
        Times(tuple(sorted(days, key=WEEK.index)), _clock(start), _clock(end)) for (start, end), days in ordered
    )


@dataclass(frozen=True)
class Item:
    """One proposal in a message: what, where, when, one line of why; the answer link decides yes or no."""

    proposal_id: uuid.UUID
    kind: OpportunityKind
    title: str
    owner_name: str
    town: str
    hours_per_week: float | None
    why: tuple[Fact, ...]
    answer_url: str = ""
    notes: tuple[Fact, ...] = ()  # what does not quite fit (the hours), said before the citizen answers
    times: tuple[Times, ...] = ()  # when it happens, days with the same hours together


@dataclass(frozen=True)
class Digest:
    """One message to a citizen about a batch of newly approved proposals."""

    digest_id: uuid.UUID
    citizen_id: uuid.UUID
    first_name: str
    languages: tuple[MessageLanguage, ...]
    items: tuple[Item, ...]
    more: int
    proposal_ids: tuple[uuid.UUID, ...]
    contact: Contact
    list_url: str
    rights_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def rtl(self) -> bool:
        return "ar" in self.languages


@dataclass(frozen=True)
class CandidateNotice:
    """What an owner hears after the citizen's yes: who, for what, and how to answer."""

    delivery_id: uuid.UUID
    proposal_id: uuid.UUID
    opportunity_id: uuid.UUID
    opportunity_title: str
    owner: str
    owner_name: str
    candidate: SharedDetails
    answer_url: str  # the API endpoint a webhook receiver's system answers at
    page_url: str  # the owner's page for the opportunity, where a person answers after signing in
    occurred_at: dt.datetime


def languages_for(preferred: str) -> tuple[MessageLanguage, ...]:
    """Danish first, then the preferred language; English when Danish is preferred (or nothing else is known)."""
    second: MessageLanguage = "en"
    if preferred in ("en", "ar", "uk"):
        second = preferred  # type: ignore[assignment]  # narrowed by the test above
    return ("da", second)


def digest_id(citizen_id: uuid.UUID, proposal_ids: Iterable[uuid.UUID]) -> uuid.UUID:
    """Derived from the proposals the message carries: a resend after a crash is the same message."""
    return derive_id("digest", citizen_id, *sorted(str(p) for p in proposal_ids))


def notice_id(proposal_id: uuid.UUID, channel: str) -> uuid.UUID:
    """The idempotency key of an owner delivery: one per proposal and channel, the same on every retry."""
    return derive_id("owner-notice", proposal_id, channel)


def why(proposal: Proposal) -> tuple[Fact, ...]:
    """At most two facts, the most telling first; never a skill's name."""
    r = proposal.reasons
    facts: list[Fact] = []
    if proposal.kind is OpportunityKind.EDUCATION_STEP and r.closes_gap_for:
        facts.append(Fact("opens_jobs", len(r.closes_gap_for)))
    if proposal.kind is OpportunityKind.ASSOCIATION_ACTIVITY:
        # An association is proposed for an interest it matches (its `matched_skills` are the
        # citizen's interests, not skills) or, without one, as a place to practise Danish.
        facts.append(Fact("interests") if r.matched_skills else Fact("practise_danish"))
    else:
        # A ranking from before `matched_previous_jobs` kept a matching previous job's title in
        # `matched_skills`; its `skills` tell the stated ones apart (one older still, neither).
        stated = sum(s.provenance == "stated" for s in r.skills) if r.skills else len(r.matched_skills)
        course = proposal.kind is OpportunityKind.EDUCATION_STEP  # it teaches skills, it does not ask for them
        if stated:
            facts.append(Fact("builds_on_skills") if course else Fact("skills", stated))
        elif r.matched_previous_jobs or r.matched_skills:
            facts.append(Fact("fits_previous_job") if course else Fact("previous_job"))
    if r.danish_mentor:
        facts.append(Fact("mentor"))
    elif r.required_danish_level and r.danish_level:
        facts.append(Fact("danish_ok"))
    if r.commute_minutes is not None:
        estimated = "commute_from_postcode" in r.flags
        facts.append(Fact("commute", round(r.commute_minutes), r.commute_mode or "public_transport", estimated))
    if not facts and r.hours_fit:
        facts.append(Fact("hours_fit"))
    return tuple(facts[:2])


def notes(proposal: Proposal) -> tuple[Fact, ...]:
    """The doubts the ranking flagged about the hours: the citizen should know them before saying yes."""
    flags = proposal.reasons.flags
    return tuple(Fact(code) for code in ("hours_overlap", "hours_exceed") if code in flags)


def item(
    proposal: Proposal, facts: OpportunityFacts | None, answer_url: str = "", same_time: Sequence[int] = ()
) -> Item:
    """`same_time`: the numbers in the message of the items above that take place at the same time."""
    return Item(
        proposal_id=proposal.proposal_id,
        kind=proposal.kind,
        title=owner_text(proposal.title),
        owner_name=owner_text(proposal.owner_name),
        town=owner_text(proposal.town),
        hours_per_week=facts.hours_per_week if facts else None,
        why=why(proposal),
        answer_url=answer_url,
        notes=(*notes(proposal), Fact("same_time", numbers=tuple(same_time))) if same_time else notes(proposal),
        times=facts.times if facts else (),
    )


def contact_for(
    approvers: Iterable[str],
    municipality: str | None,
    directory: Mapping[str, Contact],
    municipalities: Mapping[str, Contact],
    default: Contact,
) -> Contact:
    """The first approving caseworker found in the directory, else the municipality's desk, else the default."""
    for subject in approvers:
        if subject in directory:
            return directory[subject]
    if municipality and municipality in municipalities:
        return municipalities[municipality]
    return default


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else ""


def webhook_body(notice: CandidateNotice) -> dict[str, object]:
    """The JSON a company's or association's system receives (README: "Webhooks")."""
    return {
        "type": "candidate.accepted",
        "delivery_id": str(notice.delivery_id),
        "occurred_at": notice.occurred_at.isoformat(),
        "proposal_id": str(notice.proposal_id),
        "opportunity_id": str(notice.opportunity_id),
        "opportunity_title": notice.opportunity_title,
        "candidate": notice.candidate.model_dump(),
        "answer_url": notice.answer_url,
    }
