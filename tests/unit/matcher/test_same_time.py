"""Proposals that take place at the same time say so, for the caseworker, before anything is approved."""

from __future__ import annotations

import uuid
from typing import Any

from services.matcher.domain.capacity import InMemoryCapacity
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity
from services.matcher.domain.proposing import propose, same_time
from services.matcher.domain.ranking import Ranker
from shared.contracts import CitizenProfile, OpportunityKind, Reasons
from tests.unit.matcher.conftest import association, demo_catalogue, forklift_course, opportunity
from tests.unit.matcher.trust_citizens import _citizen


def _item(kind: OpportunityKind, slots: list[tuple[str, str, str]]) -> RankedOpportunity:
    schedule = {"hours_per_week": 5, "slots": [{"day": d, "start": a, "end": b} for d, a, b in slots]}
    if kind is OpportunityKind.ASSOCIATION_ACTIVITY:
        opp = association(schedule=schedule)
    elif kind is OpportunityKind.EDUCATION_STEP:
        opp = forklift_course(schedule=schedule)
    else:
        opp = opportunity(kind=kind.value, schedule=schedule)
    return RankedOpportunity(uuid.uuid4(), opp, 0.5, Reasons(rule="skills_match", text_da="x", text_en="x"))


def test_an_item_names_every_one_above_it_at_the_same_time_but_two_jobs_are_alternatives() -> None:
    job = _item(OpportunityKind.ORDINARY_JOB, [("mon", "08:00", "16:00")])
    other_job = _item(OpportunityKind.ORDINARY_JOB, [("mon", "09:00", "12:00")])
    course = _item(OpportunityKind.EDUCATION_STEP, [("mon", "15:00", "17:00"), ("wed", "18:00", "20:00")])
    club = _item(OpportunityKind.ASSOCIATION_ACTIVITY, [("wed", "19:00", "20:30")])
    after = _item(OpportunityKind.ASSOCIATION_ACTIVITY, [("wed", "20:30", "22:00")])  # starts as the club ends
    out = same_time([job, other_job, course, club, after])
    assert [o.opportunity_id for o in out] == [i.opportunity_id for i in (job, other_job, course, club, after)]
    assert out[1].reasons.same_time_as == []  # two jobs: she takes one of them anyway
    assert out[2].reasons.same_time_as == [job.opportunity_id]  # the course starts before the job ends
    assert out[3].reasons.same_time_as == [course.opportunity_id]
    assert out[4].reasons.same_time_as == []


async def test_the_club_on_the_course_evenings_names_the_course_in_the_ranking_that_goes_out(ranker: Ranker) -> None:
    # One licence course, in Tølløse: the demo's other one (in Holbæk, on other evenings) would
    # leave no evening free of a course.
    demo = demo_catalogue()
    for i, opp in list(demo.items()):
        if opp.title == "Kørekort til bil (kategori B)":
            demo.remove(i)
    payload: dict[str, Any] = _citizen(
        jobs=["lastbilchauffør"],
        skills=["kørsel med lastbil", "lastning og losning"],
        level="A2",
        classes=[("mon", "08:00", "12:00")],
        home=None,
        postcode="4340",
        town="Tølløse",
    )
    payload["interests"] = ["fodbold"]
    profile = CitizenProfile.model_validate(payload)

    def rank(p: CitizenProfile, c: Catalogue, n: int):  # type: ignore[no-untyped-def]
        return ranker.rank(p, c, top_n=n)

    result = await propose(rank, profile, demo, InMemoryCapacity(per_place=3), uuid.uuid4(), 10)
    titles = {r.opportunity_id: r.opportunity.title for r in [*result.proposals, *result.associations]}
    named = {r.opportunity.title: [titles[o] for o in r.reasons.same_time_as] for r in result.associations}
    course = next(r for r in result.proposals if r.opportunity.kind is OpportunityKind.EDUCATION_STEP)
    course_days = {s.day for s in course.opportunity.schedule.slots}
    clashing = [
        r
        for r in result.associations
        if any(s.overlaps(c) for s in r.opportunity.schedule.slots for c in course.opportunity.schedule.slots)
    ]
    assert clashing, f"the demo has a club on the course's evenings ({course_days}): {named}"
    for r in clashing:
        assert course.opportunity.title in named[r.opportunity.title], named
    apart = [r for r in result.associations if not r.reasons.same_time_as]
    assert apart, named  # the football on other evenings names nothing
    assert course.reasons.same_time_as == []
