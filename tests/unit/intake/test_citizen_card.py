"""The caseworker's proposal card says which proposals above it take place at the same time."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from services.intake.entrypoints.pages.text import translator
from services.intake.entrypoints.pages.views import templates
from shared.contracts import OpportunityKind, Proposal
from tests.unit.notifier.fakes import proposal


def _card(p: Proposal, ranking: SimpleNamespace, lang: str = "da") -> str:
    page = templates.env.get_template("citizen.html").make_module(
        {"t": translator(lang), "lang": lang, "ranking": ranking, "states": {}, "prefix": "/app"}
        | {"citizen_id": uuid.uuid4()}
    )
    return str(page.proposal_card(p))


def test_a_club_on_the_course_evenings_names_the_course_and_a_card_without_a_clash_says_nothing() -> None:
    course = proposal().model_copy(update={"kind": OpportunityKind.EDUCATION_STEP, "title": "Kørekort kategori B"})
    club = proposal().model_copy(update={"kind": OpportunityKind.ASSOCIATION_ACTIVITY, "title": "Fodbold i Tuse"})
    reasons = club.reasons.model_copy(update={"same_time_as": [course.opportunity_id]})
    club = club.model_copy(update={"reasons": reasons})
    ranking = SimpleNamespace(proposals=[course], associations=[club])
    card = _card(club, ranking)
    assert "Samme tid som (borgeren kan ikke begge dele)</dt><dd>Kørekort kategori B</dd>" in card, card
    assert "At the same time as (the citizen cannot do both)</dt><dd>Kørekort kategori B" in _card(club, ranking, "en")
    assert "same-time" not in _card(course, ranking)
