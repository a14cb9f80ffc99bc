"""The citizen's e-mail: plain Danish first, English below, reasons and rights in both."""

from __future__ import annotations

import uuid

from services.notifier.domain.messages import compose
from shared.contracts import MatchProposed, OpportunityKind, Proposal, Reasons


def _proposal(rank: int, kind: OpportunityKind, title: str) -> Proposal:
    reasons = Reasons(rule="skills_match", text_da=f"{title} passer til dig.", text_en=f"{title} suits you.")
    return Proposal(
        proposal_id=uuid.uuid4(),
        opportunity_id=uuid.uuid4(),
        kind=kind,
        title=title,
        owner_name="Demo ApS (fiktiv)",
        town="Tølløse",
        score=1.0,
        rank=rank,
        reasons=reasons,
    )


def _event(proposals: list[Proposal], associations: list[Proposal]) -> MatchProposed:
    return MatchProposed(
        correlation_id="c",
        citizen_id=uuid.uuid4(),
        trigger_event_id=uuid.uuid4(),
        catalogue_size=3,
        proposals=proposals,
        associations=associations,
    )


def test_the_email_lists_every_proposal_in_danish_first_then_english() -> None:
    event = _event(
        [_proposal(1, OpportunityKind.ORDINARY_JOB, "Køkkenmedhjælper")],
        [_proposal(1, OpportunityKind.ASSOCIATION_ACTIVITY, "Fodbold for alle")],
    )
    letter = compose(event, "Amina", "https://da.example", "https://en.example")
    danish, english = letter.body.split("— English —")
    assert "Hej Amina" in danish and "Køkkenmedhjælper passer til dig." in danish and "Foreninger:" in danish
    assert "Hello Amina" in english and "Køkkenmedhjælper suits you." in english and "Associations:" in english
    assert "https://da.example" in danish and "https://en.example" in english
    assert "This service uses the ESCO classification of the European Commission." in english
    assert letter.subject.startswith("Forslag til dig")


def test_an_empty_ranking_says_so_kindly_in_both_languages() -> None:
    letter = compose(_event([], []), "Omar", "https://da.example", "https://en.example")
    assert "Vi har ikke fundet noget til dig lige nu" in letter.body
    assert "We have not found anything for you right now" in letter.body


def test_sentences_stay_short_for_readers_with_beginner_danish() -> None:
    letter = compose(_event([_proposal(1, OpportunityKind.EDUCATION_STEP, "Truckcertifikat")], []), "A", "u", "u")
    danish = letter.body.split("— English —")[0]
    sentences = [s for line in danish.splitlines() for s in line.split(". ") if s.strip()]
    assert max(len(s.split()) for s in sentences) <= 15
