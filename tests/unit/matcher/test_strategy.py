from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import association, catalogue, forklift_course, opportunity, profile


def _placement(**kw: object) -> dict[str, object]:
    return {
        "kind": "language_placement",
        "placement_type": "virksomhedspraktik",
        "danish_mentor": True,
        **kw,
    }


def test_an_ordinary_job_ranks_before_a_placement_when_the_citizen_qualifies(
    ranker: Ranker,
) -> None:
    cat, (placement, job) = catalogue(opportunity(**_placement()), opportunity())
    result = ranker.rank(profile(danish={"level": "B1"}), cat)
    assert [p.opportunity_id for p in result.proposals] == [job, placement]
    assert result.proposals[0].reasons.rule == "ordinary_employment_first"


def test_a_citizen_with_little_danish_is_steered_to_a_placement_with_a_mentor(
    ranker: Ranker,
) -> None:
    cat, (job, placement) = catalogue(
        opportunity(min_danish_level=None), opportunity(**_placement())
    )
    result = ranker.rank(profile(danish={"level": "A1"}), cat)
    assert result.proposals[0].opportunity_id == placement
    assert result.proposals[0].reasons.rule == "danish_at_work_first"
    assert job in {p.opportunity_id for p in result.proposals}


def test_associations_are_a_list_of_their_own(ranker: Ranker) -> None:
    cat, (job, club) = catalogue(opportunity(), association())
    result = ranker.rank(profile(), cat)
    assert [p.opportunity_id for p in result.proposals] == [job]
    assert [a.opportunity_id for a in result.associations] == [club]


def test_hidden_associations_are_never_recommended(ranker: Ranker) -> None:
    cat, _ = catalogue(association())
    assert ranker.rank(profile(hide_associations=True), cat).associations == []


def test_an_education_step_that_closes_a_certificate_gap_is_proposed_for_the_job(
    ranker: Ranker,
) -> None:
    course = forklift_course()
    job = opportunity(
        title="Lagermedarbejder",
        occupation_text="lagerarbejder",
        skills=["pakning"],
        required_certificates=["forklift"],
    )
    cat, (course_id, job_id) = catalogue(course, job)
    p = profile(previous_jobs=[{"title": "lagerarbejder", "years": 2}])
    result = ranker.rank(p, cat)
    first = result.proposals[0]
    assert first.opportunity_id == course_id
    assert first.reasons.rule == "closes_skill_gap"
    assert first.reasons.closes_gap_for == [job_id]
    assert "truckcertifikat" in first.reasons.text_da
