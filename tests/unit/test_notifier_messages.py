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


def _phishing(title: str, owner: str) -> Proposal:
    text_da = f"{title} hos {owner} i Holbæk: et almindeligt job."
    text_en = f"{title} at {owner} in Holbæk: an ordinary job."
    return Proposal(
        proposal_id=uuid.uuid4(),
        opportunity_id=uuid.uuid4(),
        kind=OpportunityKind.ORDINARY_JOB,
        title=title,
        owner_name=owner,
        town="Holbæk",
        score=1.0,
        rank=1,
        reasons=Reasons(rule="ordinary_employment_first", text_da=text_da, text_en=text_en),
    )


def test_a_companys_text_cannot_put_a_live_link_or_pose_as_the_jobcentre() -> None:
    title = "Køkkenmedhjælper LOG IND: http://evil.example/mitid eller www.evil.example"
    owner = "Jobcentret Holbæk - skriv til svar@evil.example"
    letter = compose(_event([_phishing(title, owner)], []), "Amina", "https://rights.example/da", "u")
    body = letter.body
    for live in ("http://evil", "www.evil", "evil.example", "svar@evil"):
        assert live not in body, live
    assert "hxxp" not in body and "evil[.]example" in body
    assert "https://rights.example/da" in body  # the product's own link stays
    danish = body.split("— English —")[0]
    assert "“Jobcentret Holbæk - skriv til svar[at]evil[.]example” (med deres egne ord)" in danish
    assert "ikke af jobcentret" in danish
    # The owner's name is quoted once and not repeated unquoted in the reason.
    assert danish.count("Jobcentret Holbæk") == 1


def test_controls_in_an_old_event_never_reach_the_email() -> None:
    proposal = _phishing("Job", "Jobcentret \u202eHolbæk\u202c")
    letter = compose(_event([proposal], []), "Amina", "u", "u")
    assert "\u202e" not in letter.body and "\u202c" not in letter.body
