"""Gap planning: which education steps are tied to a job kept out by its papers."""

from __future__ import annotations

from services.matcher.domain.gaps import _MAX_STEPS
from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import catalogue, forklift_course, opportunity, profile


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
