"""Reverse matching's domain: one sparse product gives each citizen the relevance the citizen-side
ranking computes, masks keep out who may not be offered the place, and the exact check is the ranking."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from services.matcher.domain.associations import MATCH, interest_match
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.gaps import MIN_RELEVANCE
from services.matcher.domain.ranking import Ranker
from services.matcher.domain.reverse import MAX_OPENS, CitizenMatrix, ReverseRanker, reaches
from shared.contracts import CitizenProfile
from tests.unit.matcher.conftest import (
    association,
    catalogue,
    forklift_course,
    licences,
    lorry_job,
    opportunity,
    profile,
    qualification_course,
)

COOK = {"previous_jobs": [{"title": "kok", "years": 4}], "skills": [{"text": "madlavning"}, {"text": "køkken"}]}
CLEANER = {"previous_jobs": [{"title": "rengøringsassistent", "years": 3}], "skills": [{"text": "rengøring"}]}
DRIVER = {"previous_jobs": [{"title": "lastbilchauffør", "years": 6}], "skills": [{"text": "kørsel"}]}


@pytest.fixture(scope="module")
def reverse(ranker: Ranker) -> ReverseRanker:
    return ReverseRanker(ranker)


def _citizens(reverse: ReverseRanker, *profiles: CitizenProfile) -> tuple[CitizenMatrix, list[uuid.UUID]]:
    matrix = CitizenMatrix(reverse.width())
    ids = [uuid.uuid4() for _ in profiles]
    for citizen_id, p in zip(ids, profiles, strict=True):
        matrix.put(citizen_id, reverse.row(p))
    return matrix, ids


def test_the_sparse_product_gives_every_citizen_the_relevance_of_their_own_ranking(
    ranker: Ranker, reverse: ReverseRanker
) -> None:
    people = [profile(**COOK), profile(**CLEANER), profile(**DRIVER), profile(**{**CLEANER, "skills": []})]
    matrix, ids = _citizens(reverse, *people)
    job = opportunity()
    oid = uuid.uuid4()
    ci = reverse.index({oid: job})
    short = dict(matrix.shortlist(ci, 0, set(), 10))
    one = Catalogue()
    one.upsert(oid, job)
    own_ci = ranker.indexer.index(one)
    for citizen_id, p in zip(ids, people, strict=True):
        expected = float(ranker.relevance(ranker.space.profile(p), own_ci)[0])
        if expected >= MIN_RELEVANCE:
            assert short[citizen_id] == pytest.approx(expected, rel=1e-5)
        else:
            assert citizen_id not in short
    assert ids[1] in short and ids[2] not in short  # the cleaner fits a cleaning job, the lorry driver does not


def test_the_shortlist_is_best_first_and_leaves_out_the_excluded_the_busy_and_those_without_consent(
    reverse: ReverseRanker,
) -> None:
    no_consent = profile(
        **CLEANER,
        consent={
            "ordinary_job": False,
            "language_placement": True,
            "education_step": True,
            "association_activity": True,
        },
    )
    matrix, ids = _citizens(reverse, profile(**CLEANER), profile(**CLEANER), profile(**CLEANER), no_consent)
    ci = reverse.index({uuid.uuid4(): opportunity()})
    everyone = matrix.shortlist(ci, 0, set(), 10)
    scores = [s for _, s in everyone]
    assert scores == sorted(scores, reverse=True)
    assert {c for c, _ in everyone} == set(ids[:3])
    matrix.set_busy([ids[0]])
    assert {c for c, _ in matrix.shortlist(ci, 0, {ids[1]}, 10)} == {ids[2]}
    assert len(matrix.shortlist(ci, 0, set(), 1)) == 1


def test_the_exact_check_is_the_citizen_side_ranking_of_that_one_opportunity(
    ranker: Ranker, reverse: ReverseRanker
) -> None:
    cleaner, oid, job = profile(**CLEANER), uuid.uuid4(), opportunity()
    fit = reverse.fit(cleaner, oid, job)
    one = Catalogue()
    one.upsert(oid, job)
    own = ranker.rank(cleaner, one, top_n=1).proposals
    assert fit is not None and own and fit.score == pytest.approx(own[0].score)
    # a hard rule (Danish level far below the place's floor) refuses it on both sides
    assert reverse.fit(cleaner, oid, opportunity(min_danish_level="C1")) is None


def test_a_matrix_of_many_citizens_is_built_from_the_rows_in_one_go(reverse: ReverseRanker) -> None:
    matrix, ids = _citizens(reverse, *[profile(**CLEANER) for _ in range(50)])
    _, m, consent = matrix.matrix()
    assert m.shape == (50, reverse.width()) and consent.shape == (50, 4)
    matrix.drop(ids[0])
    assert matrix.matrix()[1].shape[0] == 49
    assert np.all(matrix.matrix()[2])


NO_ASSOCIATIONS = {
    "ordinary_job": True,
    "language_placement": True,
    "education_step": True,
    "association_activity": False,
}


def test_an_activity_shortlists_by_the_interests_the_citizen_side_ranking_reads_and_only_those_who_may_get_it(
    reverse: ReverseRanker,
) -> None:
    fan, other_fan = profile(interests=["fodbold"]), profile(interests=["strikning", "fodboldtræning"])
    knitter, nothing = profile(interests=["strikning"]), profile(interests=[])
    no_consent = profile(interests=["fodbold"], consent=NO_ASSOCIATIONS)
    hides = profile(interests=["fodbold"], hide_associations=True)
    matrix, ids = _citizens(reverse, fan, other_fan, knitter, nothing, no_consent, hides)
    club = association()
    ci = reverse.index({uuid.uuid4(): club})
    ai = reverse.associations(ci)
    short = dict(matrix.by_interest(ai, 0, False, set(), 10))
    assert set(short) == {ids[0], ids[1]}  # the fans; not the knitter, not the one without interests,
    # not the one without consent for associations, not the one who hides them
    for citizen_id, p in zip(ids[:2], (fan, other_fan), strict=True):
        own, _ = interest_match(reverse.interests, p, ai)  # the citizen-side ranking's own similarity
        assert short[citizen_id] == pytest.approx(float(own[0]), rel=1e-5) and short[citizen_id] >= MATCH
    matrix.set_busy([ids[0]])
    assert [c for c, _ in matrix.by_interest(ai, 0, False, set(), 10)] == [ids[1]]
    assert matrix.by_interest(ai, 0, False, {ids[1]}, 10) == []
    assert len(matrix.by_interest(ai, 0, False, set(), 0)) == 0


def test_a_women_only_activity_shortlists_only_those_who_asked_for_women_only_activities(
    reverse: ReverseRanker,
) -> None:
    asked = profile(interests=["fodbold"], wants_women_only_activities=True)
    not_asked = profile(interests=["fodbold"])  # the sample's audit gender is female: never read
    matrix, ids = _citizens(reverse, asked, not_asked)
    club = association(association={"activity_type": "sports", "language_friendly": True, "women_only": True})
    ai = reverse.associations(reverse.index({uuid.uuid4(): club}))
    assert [c for c, _ in matrix.by_interest(ai, 0, True, set(), 10)] == [ids[0]]
    oid = uuid.uuid4()
    assert reverse.fit(not_asked, oid, club) is None  # and the exact rule says the same
    fit = reverse.fit(asked, oid, club)
    assert fit is not None and reaches(fit)


def test_the_exact_check_of_an_activity_is_the_citizen_side_list_and_an_unmatched_interest_does_not_reach(
    ranker: Ranker, reverse: ReverseRanker
) -> None:
    fan, knitter = profile(interests=["fodbold"]), profile(interests=["strikning"])
    oid, club = uuid.uuid4(), association()
    one = Catalogue()
    one.upsert(oid, club)
    fit = reverse.fit(fan, oid, club)
    own = ranker.rank(fan, one, top_n=1).associations
    assert fit is not None and own and fit.score == pytest.approx(own[0].score)
    assert fit.reasons.rule == "association_interest" and reaches(fit)
    # the citizen-side list holds it for the knitter too (no interest floor there), but reverse matching
    # offers an activity unasked only on a matching interest
    unasked = reverse.fit(knitter, oid, club)
    assert unasked is not None and not reaches(unasked)
    assert reverse.fit(profile(interests=["fodbold"], consent=NO_ASSOCIATIONS), oid, club) is None


def test_a_step_granting_a_certificate_reaches_the_citizen_whose_near_miss_job_needs_it_and_only_them(
    ranker: Ranker,
) -> None:
    warehouse = opportunity(
        title="Lagermedarbejder",
        occupation_text="lagerarbejder",
        skills=["pakning"],
        required_certificates=["forklift"],
    )
    cat, (job_id, _) = catalogue(warehouse, opportunity())  # the second, a cleaning job, needs no certificate
    reverse = ReverseRanker(ranker, cat)
    near = profile(previous_jobs=[{"title": "lagerarbejder", "years": 2}])
    holder = profile(previous_jobs=[{"title": "lagerarbejder", "years": 2}], certificates=["forklift"])
    matrix, (near_id, cleaner_id, holder_id) = _citizens(reverse, near, profile(**CLEANER), holder)
    course_id, course = uuid.uuid4(), forklift_course()
    cat.upsert(course_id, course)
    opens = reverse.opens(course_id, course)
    assert opens is not None and opens.ids == [job_id]  # only the job that needs what the course grants
    ci = reverse.index({course_id: course})
    direct = dict(matrix.shortlist(ci, 0, set(), 10))  # by the course's own relevance only
    short = dict(matrix.shortlist(ci, 0, set(), 10, opens))
    job_relevance = ranker.relevance(ranker.space.profile(near), ranker.indexer.index(cat))[0]
    assert short[near_id] == pytest.approx(0.1 + 0.9 * job_relevance, rel=1e-5)
    assert short[near_id] > direct.get(near_id, 0.0)  # the job it opens lifts the course
    assert cleaner_id not in short  # no job the course opens is relevant to the cleaner
    assert short.get(holder_id) == direct.get(holder_id)  # who holds the certificate has no gap to close
    fit = reverse.fit(near, course_id, course, opens)
    own = next(r for r in ranker.rank(near, cat).proposals if r.opportunity_id == course_id)
    assert fit is not None and fit.reasons.rule == "closes_skill_gap" and fit.reasons.closes_gap_for == [job_id]
    assert fit.score == pytest.approx(own.score)  # the score of the citizen's own ranking
    assert reverse.fit(profile(**CLEANER), course_id, course, opens) is None


def test_a_step_that_gives_one_of_two_missing_papers_shortlists_with_half_the_job_as_the_ranking_scores_it(
    ranker: Ranker,
) -> None:
    """The citizen-side ranking counts a step for the share of a job's missing papers it gives; the
    shortlist scores it the same, so the citizens it reaches are those whose own ranking ranks it best."""
    cat, (job_id,) = catalogue(lorry_job())
    reverse = ReverseRanker(ranker, cat)
    both = profile(**DRIVER)  # lacks the qualification and the C licence
    licensed = profile(**DRIVER, transport=licences("B", "C"))
    matrix, (both_id, licensed_id) = _citizens(reverse, both, licensed)
    course_id = uuid.uuid4()
    course = qualification_course()
    cat.upsert(course_id, course)
    opens = reverse.opens(course_id, course)
    assert opens is not None and opens.ids == [job_id]
    short = dict(matrix.shortlist(reverse.index({course_id: course}), 0, set(), 10, opens))
    index = ranker.indexer.index(cat)
    for citizen_id, citizen, share in ((both_id, both, 0.5), (licensed_id, licensed, 1.0)):
        job_relevance = ranker.relevance(ranker.space.profile(citizen), index)[0]
        assert short[citizen_id] == pytest.approx((0.1 + 0.9 * job_relevance) * share, rel=1e-5)
        fit = reverse.fit(citizen, course_id, course, opens)
        own = next(r for r in ranker.rank(citizen, cat).proposals if r.opportunity_id == course_id)
        assert fit is not None and fit.score == pytest.approx(own.score)


def test_a_step_whose_certificate_no_job_needs_opens_nothing_and_jobs_open_nothing(ranker: Ranker) -> None:
    cat, _ = catalogue(opportunity())
    reverse = ReverseRanker(ranker, cat)
    assert reverse.opens(uuid.uuid4(), forklift_course()) is None
    assert reverse.opens(uuid.uuid4(), opportunity(required_certificates=["forklift"])) is None
    assert ReverseRanker(ranker).opens(uuid.uuid4(), forklift_course()) is None  # no catalogue known


def test_at_most_max_opens_jobs_count_and_the_closest_to_the_step_are_kept(ranker: Ranker) -> None:
    far = [opportunity(required_certificates=["forklift"]) for _ in range(MAX_OPENS)]  # cleaning jobs
    close = opportunity(
        title="Lagermedarbejder",
        occupation_text="lagerarbejder",
        skills=["truckkørsel"],
        required_certificates=["forklift"],
    )
    cat, ids = catalogue(*far, close)
    course = forklift_course(skills=["truckkørsel"], title="Truckkørsel for lagerarbejdere")
    opens = ReverseRanker(ranker, cat).opens(uuid.uuid4(), course)
    assert opens is not None and len(opens) == MAX_OPENS and ids[-1] in opens.ids
