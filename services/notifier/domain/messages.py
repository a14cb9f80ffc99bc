"""The e-mail a citizen gets: plain Danish first, English below, one line per proposal."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import MatchProposed, OpportunityKind, Proposal

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


def _lines(items: list[Proposal], english: bool) -> list[str]:
    kinds = _KIND_EN if english else _KIND_DA
    lines = []
    for p in items:
        why = p.reasons.text_en if english else p.reasons.text_da
        lines.append(f"{p.rank}. {kinds[p.kind]}: {p.title}, {p.owner_name}, {p.town}\n   {why}")
    return lines


def compose(event: MatchProposed, first_name: str, rights_url_da: str, rights_url_en: str) -> Letter:
    """Danish first, then English. Short sentences for readers with beginner Danish."""
    everything = [*event.proposals, *event.associations]
    if everything:
        da = ["Vi har fundet noget, der kan passe til dig.", "", *_lines(event.proposals, False)]
        if event.associations:
            da += ["", "Foreninger:", *_lines(event.associations, False)]
        da += [
            "",
            "Vil du vide mere? Tal med din sagsbehandler.",
            "Du bestemmer selv. Vi deler ikke dine oplysninger uden dit ja.",
        ]
        en = ["We have found something that may suit you.", "", *_lines(event.proposals, True)]
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
