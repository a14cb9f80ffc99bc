"""The citizen's answer page and full list say when a proposal is at the same time as another one still on."""

from __future__ import annotations

import datetime as dt
import uuid

from services.intake.adapters.lifecycle_store import ProposalRecord
from services.intake.domain.lifecycle import State
from services.intake.entrypoints.links import TEMPLATES, same_time_titles
from shared.contracts import OpportunityKind, Proposal, WeeklySlot
from tests.unit.notifier.fakes import proposal

CITIZEN = uuid.uuid4()


def _record(p: Proposal, state: State = State.OFFERED) -> ProposalRecord:
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return ProposalRecord(p.proposal_id, CITIZEN, p.opportunity_id, state, at, kind=p.kind, proposal=p)


def _clashing(title: str, kind: OpportunityKind, *above: Proposal) -> Proposal:
    p = proposal().model_copy(update={"kind": kind, "title": title})
    reasons = p.reasons.model_copy(update={"same_time_as": [a.opportunity_id for a in above]})
    return p.model_copy(update={"reasons": reasons})


def _page(p: Proposal, same_time: list[str]) -> str:
    template = TEMPLATES.env.get_template("links_answer.html")
    return template.render(title="Vil du sige ja?", p=p, token="t", same_time=same_time)


def test_a_club_on_the_course_evenings_and_the_course_name_each_other_a_declined_one_is_not_named() -> None:
    course = _clashing("Kørekort kategori B", OpportunityKind.EDUCATION_STEP)
    declined_job = _clashing("Aftenrengøring", OpportunityKind.ORDINARY_JOB)
    club = _clashing("Fodbold i Tuse", OpportunityKind.ASSOCIATION_ACTIVITY, course, declined_job)
    other = _clashing("Strikkeklub", OpportunityKind.ASSOCIATION_ACTIVITY)
    records = [_record(course), _record(declined_job, State.DECLINED), _record(club), _record(other, State.ACCEPTED)]
    assert same_time_titles(records[2], records) == ["Kørekort kategori B"]
    assert same_time_titles(records[0], records) == ["Fodbold i Tuse"], "the course's page names the club below it"
    assert same_time_titles(records[3], records) == []


def test_the_page_says_it_in_danish_then_english_and_says_nothing_without_a_clash() -> None:
    club = _clashing("Fodbold i Tuse", OpportunityKind.ASSOCIATION_ACTIVITY)
    page = _page(club, ["Kørekort kategori B", "Sprogcafé"])
    assert (
        "<strong>Bemærk:</strong> Det er på samme tid som “Kørekort kategori B” og “Sprogcafé”. "
        "Du kan ikke være to steder på én gang." in page
    ), page
    assert "Note: It is at the same time as “Kørekort kategori B” and “Sprogcafé”." in page
    assert "Bemærk" not in _page(club, []) and "same time" not in _page(club, [])


def test_a_title_is_shown_as_text_never_as_markup() -> None:
    page = _page(proposal(), ["<b>Fodbold</b>"])
    assert "<b>Fodbold</b>" not in page and "&lt;b&gt;Fodbold&lt;/b&gt;" in page


def test_the_full_list_says_it_on_each_card_that_clashes() -> None:
    entry = {"title": "Fodbold i Tuse", "owner_name": "Tuse Næs Boldvenner", "town": "Tuse", "why_da": "d"}
    entry |= {"why_en": "e", "state_da": "Venter på dit svar.", "state_en": "Waiting.", "answer_url": ""}
    quiet = entry | {"title": "Strikkeklub", "same_time": []}
    page = TEMPLATES.env.get_template("links_list.html").render(
        title="Dine forslag", entries=[entry | {"same_time": ["Kørekort kategori B"]}, quiet]
    )
    assert page.count("Bemærk:") == 1, page
    assert "Det er på samme tid som “Kørekort kategori B”." in page
    assert "Note: It is at the same time as “Kørekort kategori B”." in page


def test_two_proposals_from_different_rankings_name_each_other_by_their_weekly_times() -> None:
    """A course proposed on Monday and a club proposed after a re-ranking on Thursday: neither
    ranking saw both, so only their stored times tell the citizen they are on the same evening."""
    course = _clashing("Kørekort kategori B", OpportunityKind.EDUCATION_STEP)
    club = _clashing("Fodbold i Tuse", OpportunityKind.ASSOCIATION_ACTIVITY)
    job = _clashing("Aftenrengøring", OpportunityKind.ORDINARY_JOB)
    placement = _clashing("Sprogpraktik i køkken", OpportunityKind.LANGUAGE_PLACEMENT)
    tuesday = [WeeklySlot(day="tue", start=dt.time(17), end=dt.time(19, 30))]
    slots = {
        course.opportunity_id: tuesday,
        club.opportunity_id: [WeeklySlot(day="tue", start=dt.time(19), end=dt.time(20, 30))],
        job.opportunity_id: tuesday,
        placement.opportunity_id: tuesday,
    }
    records = [_record(course), _record(club), _record(job), _record(placement, State.DECLINED)]
    assert same_time_titles(records[0], records) == [], "no ranking named them"
    assert same_time_titles(records[0], records, slots) == ["Fodbold i Tuse", "Aftenrengøring"]
    assert same_time_titles(records[1], records, slots) == ["Kørekort kategori B", "Aftenrengøring"]
    # A job and a placement are alternatives; a declined one is not still on.
    assert same_time_titles(records[2], records, slots) == ["Kørekort kategori B", "Fodbold i Tuse"]
