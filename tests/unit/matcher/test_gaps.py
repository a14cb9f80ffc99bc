"""Gap planning: which education steps are tied to a job kept out by its papers."""

from __future__ import annotations

import pytest

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.features import CITE_CONFIDENCE
from services.matcher.domain.gaps import _MAX_STEPS, MIN_RELEVANCE, GapPlan, plan_gaps
from services.matcher.domain.ranking import Ranker, _screened, home_of, screen
from shared.contracts import CitizenProfile
from tests.unit.matcher.conftest import (
    catalogue,
    forklift_course,
    licences,
    lorry_job,
    opportunity,
    profile,
    qualification_course,
)


def test_only_the_nearest_steps_that_give_a_jobs_papers_are_tied_to_it(ranker: Ranker) -> None:
    """A catalogue may hold dozens of forklift courses: each was tied to every forklift job, a loop
    over all of them for each of ten jobs in every ranking. The nearest few are, and are proposed
    for the job; the others are ranked on their own."""
    job = opportunity(title="Lagerarbejder med truck", required_certificates=["forklift"])
    n = _MAX_STEPS + 4
    # Each a little further east of the citizen's home (55.7158, 11.7128) than the one before.
    courses = [
        forklift_course(
            location={"town": "Holbæk", "postcode": "4300", "point": {"lat": 55.7158, "lon": 11.7128 + 0.004 * (k + 1)}}
        )
        for k in range(n)
    ]
    cat, ids = catalogue(job, *courses)
    result = ranker.rank(profile(), cat, top_n=n)
    tied = {p.opportunity_id for p in result.proposals if ids[0] in p.reasons.closes_gap_for}
    assert tied == set(ids[1 : 1 + _MAX_STEPS])
    said = "her kan du få truckcertifikat, som du mangler til jobbet Lagerarbejder med truck"
    assert all(said in p.reasons.text_da for p in result.proposals if p.opportunity_id in tied)


def _gap_scores(ranker: Ranker, cat: Catalogue, citizen: CitizenProfile) -> tuple[GapPlan, list[float]]:
    ci = ranker.indexer.index(cat)
    encoded = ranker.space.profile(citizen)
    relevance = ranker.relevance(encoded, ci)
    sc = screen(citizen, ci, home_of(citizen, ranker.postcodes), _screened(ci, relevance))
    return plan_gaps(ranker.space, ci, relevance, sc, encoded.skills), relevance.tolist()


def test_a_step_that_gives_one_of_a_jobs_two_papers_counts_for_half_of_the_job(ranker: Ranker) -> None:
    """A lorry job lacking the C licence and the driver's qualification is opened by neither course
    alone. Each course scored as if it opened the job, so a taxi driver's two lorry courses came
    before the delivery job he could take at once. A course giving both counts for the whole job."""
    job = lorry_job()
    licence = forklift_course(
        title="Kørekort til lastbil (kategori C)",
        education={"education_type": "driving_licence", "grants_driving_licence": "C"},
    )
    qualification = qualification_course()
    both = forklift_course(
        title="Lastbilchauffør, fuld uddannelse",
        education={
            "education_type": "AMU",
            "grants_certificates": ["driver_qualification"],
            "grants_driving_licence": "C",
        },
    )
    cat, _ = catalogue(job, licence, qualification, both)
    citizen = profile(previous_jobs=[{"title": "taxachauffør", "years": 5}], skills=[{"text": "kørsel"}])
    plan, relevance = _gap_scores(ranker, cat, citizen)
    assert relevance[0] >= MIN_RELEVANCE
    assert plan.by_papers == {1: [0], 2: [0], 3: [0]}
    assert plan.score[1] == pytest.approx((0.1 + 0.9 * relevance[0]) / 2)
    assert plan.score[2] == pytest.approx((0.1 + 0.9 * relevance[0]) / 2)
    assert plan.score[3] == pytest.approx(0.1 + 0.9 * relevance[0])
    # With the licence held, the qualification course is the whole gap.
    holder = profile(
        previous_jobs=[{"title": "taxachauffør", "years": 5}],
        skills=[{"text": "kørsel"}],
        transport=licences("B", "C"),
    )
    plan, relevance = _gap_scores(ranker, cat, holder)
    assert set(plan.by_papers) == {2, 3}
    assert plan.score[2] == pytest.approx(0.1 + 0.9 * relevance[0])


def test_a_course_teaches_only_what_its_words_surely_name(ranker: Ranker) -> None:
    """A childcare course says it teaches "omsorg for de mindste" (care for the little ones); its words
    also read, at 0.57, as "older adults' needs", and the course was proposed to a home helper as
    teaching what a care home's job lacked."""
    course = forklift_course(
        title="Pædagogisk arbejde med børn",
        skills=["omsorg for de mindste", "samarbejde med forældre"],
        education={"education_type": "AMU"},
    )
    named = ranker.indexer.row(course).named
    linked = ranker.linker.skills(["omsorg for de mindste", "samarbejde med forældre"])
    loose = {lk.index for lt in linked for lk in lt.readings if lk.confidence < CITE_CONFIDENCE}
    sure = {lk.index for lt in linked for lk in lt.readings if lk.confidence >= CITE_CONFIDENCE}
    assert loose and sure
    assert sure <= named and not loose & named
