"""The e-mail a citizen gets: plain Danish first, English below, one line per proposal."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shared.contracts import MatchProposed, OpportunityKind, Proposal
from shared.contracts.common import refused_character

_KIND_DA = {
    OpportunityKind.ORDINARY_JOB: "Job",
    OpportunityKind.LANGUAGE_PLACEMENT: "Praktik med dansk",
    OpportunityKind.EDUCATION_STEP: "Kursus eller uddannelse",
    OpportunityKind.ASSOCIATION_ACTIVITY: "Forening",
}
_KIND_EN = {
    OpportunityKind.ORDINARY_JOB: "Job",
    OpportunityKind.LANGUAGE_PLACEMENT: "Placement with Danish",
    OpportunityKind.EDUCATION_STEP: "Course or education",
    OpportunityKind.ASSOCIATION_ACTIVITY: "Association",
}


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


# Anything a mail client might turn into a link: a scheme, `www.`, an e-mail address, a bare domain.
_LINKISH = re.compile(
    r"(?i)\b[a-z][a-z0-9+.\-]*://\S*|\bwww\.\S*|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+|\b[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}\b"
)


def _defang(match: re.Match[str]) -> str:
    return match.group(0).replace("://", "[:]//").replace("@", "[at]").replace(".", "[.]")


def owner_text(text: str) -> str:
    """Text an opportunity's owner wrote, made inert: no controls, nothing a mail client makes a link."""
    visible = "".join(ch for ch in text if refused_character(ch) is None)
    one_line = " ".join(unicodedata.normalize("NFC", visible).split())
    return _LINKISH.sub(_defang, one_line).replace("“", "'").replace("”", "'").replace('"', "'")


def _why(p: Proposal, english: bool) -> str:
    # The matcher's sentence starts with the title, owner and town: those are quoted above, not repeated.
    text = p.reasons.text_en if english else p.reasons.text_da
    head = f"{p.title} {'at' if english else 'hos'} {p.owner_name} {'in' if english else 'i'} {p.town}"
    if text.startswith(head):
        text = text[len(head) :].lstrip(" :,")
        text = text[:1].upper() + text[1:]
    return owner_text(text)


def _lines(items: list[Proposal], english: bool) -> list[str]:
    kinds = _KIND_EN if english else _KIND_DA
    said_by = "in their own words" if english else "med deres egne ord"
    lines = []
    for p in items:
        lines.append(
            f"{p.rank}. {kinds[p.kind]}: “{owner_text(p.title)}”, {owner_text(p.town)}\n"
            f"   {'From' if english else 'Fra'} “{owner_text(p.owner_name)}” ({said_by})\n"
            f"   {_why(p, english)}"
        )
    return lines


def compose(event: MatchProposed, first_name: str, rights_url_da: str, rights_url_en: str) -> Letter:
    """Danish first, then English. Short sentences for readers with beginner Danish."""
    everything = [*event.proposals, *event.associations]
    if everything:
        da = [
            "Vi har fundet noget, der kan passe til dig.",
            "Tekst i anførselstegn er skrevet af arbejdspladsen eller foreningen, ikke af jobcentret.",
            "Jobcentret beder dig aldrig om dit CPR-nummer eller MitID i en e-mail.",
            "",
            *_lines(event.proposals, False),
        ]
        if event.associations:
            da += ["", "Foreninger:", *_lines(event.associations, False)]
        da += [
            "",
            "Vil du vide mere? Tal med din sagsbehandler.",
            "Du bestemmer selv. Vi deler ikke dine oplysninger uden dit ja.",
        ]
        en = [
            "We have found something that may suit you.",
            "Text in quotes is written by the workplace or association, not by the jobcentre.",
            "The jobcentre never asks for your CPR number or MitID in an e-mail.",
            "",
            *_lines(event.proposals, True),
        ]
        if event.associations:
            en += ["", "Associations:", *_lines(event.associations, True)]
        en += [
            "",
            "Want to know more? Talk to your caseworker.",
            "It is your choice. We do not share your information without your yes.",
        ]
    else:
        da = ["Vi har ikke fundet noget til dig lige nu. Vi leder videre.", "Tal med din sagsbehandler."]
        en = ["We have not found anything for you right now. We keep looking.", "Talk to your caseworker."]
    body = "\n".join(
        [
            f"Hej {first_name}",
            "",
            *da,
            "",
            f"Dine rettigheder og pligter: {rights_url_da}",
            "",
            "— English —",
            "",
            f"Hello {first_name}",
            "",
            *en,
            "",
            f"Your rights and duties: {rights_url_en}",
            "",
            "Brobygger. This service uses the ESCO classification of the European Commission.",
        ]
    )
    subject = "Forslag til dig fra jobcentret / Suggestions for you from the jobcentre"
    return Letter(subject=subject, body=body)
