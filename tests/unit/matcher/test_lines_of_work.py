"""Lines of work: trades a Danish jobcentre counts as one, which ESCO splits into occupations whose
skill lists share little (services/matcher/data/lines_of_work_da.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from services.matcher.adapters.esco_store import load_lines
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.likelihood import Likelihood
from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import catalogue, opportunity, profile
from tests.unit.matcher.test_trust import rank
from tests.unit.matcher.trust_citizens import _citizen

LINES = json.loads(
    (Path(__file__).parents[3] / "services" / "matcher" / "data" / "lines_of_work_da.json").read_text(encoding="utf-8")
)["lines"]

SOSU_HELPER = _citizen(
    jobs=["social- og sundhedshjælper"],
    skills=["personlig pleje"],
    level="B1",
    classes=[("tue", "17:00", "20:00")],
    licences=["B"],
    certificates=["care_assistant"],
)


@pytest.fixture(scope="module")
def unlined(ranker: Ranker) -> Ranker:
    """The same ranker without the lines of work."""
    return Ranker(ranker.linker, ranker.postcodes, ranker.space.titles)


def _occ(ranker: Ranker, label: str) -> int:
    return next(i for i, o in enumerate(ranker.linker.index.occupations) if o.label_en == label)


def test_every_line_names_esco_occupations_and_each_reaches_the_rest_of_its_line(ranker: Ranker) -> None:
    lines = load_lines(ranker.linker.index)
    for line in LINES:
        members = [_occ(ranker, label) for label in line["occupations"]]
        assert len(members) >= 2 and line["why"]
        for occ in members:
            assert set(lines[occ]) >= set(members) - {occ} and occ not in lines[occ]


def test_an_unknown_occupation_in_a_line_is_refused(ranker: Ranker) -> None:
    bad = json.dumps({"lines": [{"name_da": "x", "occupations": ["cook", "chef de cuisine of the moon"], "why": "-"}]})
    with pytest.raises(ValueError, match="chef de cuisine of the moon"):
        load_lines(ranker.linker.index, text=bad)


def test_a_trained_sosu_helper_is_proposed_the_care_homes_and_home_care(
    ranker: Ranker, unlined: Ranker, demo: Catalogue
) -> None:
    """ESCO's SOSU helper shares 2 of its 23 essential skills with its care-home worker: by skills alone a
    trained helper got her own trade's one job and a course, while seven care-home and three home-care
    jobs in Holbæk stayed below the relevance floor."""
    care = ("Plejecentermedarbejder", "Hjemmehjælper")
    before = rank(unlined, demo, SOSU_HELPER)
    assert not [p for p in before.proposals if p.opportunity.title in care]
    after = rank(ranker, demo, SOSU_HELPER)
    titles = [p.opportunity.title for p in after.proposals]
    assert titles[0] == "Social- og sundhedshjælper"  # her own trade first
    assert {"Plejecentermedarbejder", "Hjemmehjælper"} <= set(titles)
    for p in after.proposals:
        if p.opportunity.title in care:
            assert "det ligner dit tidligere arbejde som social- og sundhedshjælper" in p.reasons.text_da
            assert p.reasons.matched_previous_jobs == ["social- og sundhedshjælper"]


def test_papers_are_still_hard_rules_within_a_line(ranker: Ranker, demo: Catalogue) -> None:
    """A home helper without the SOSU certificate is not proposed the SOSU helper's job: it is a near
    miss, which names the SOSU course."""
    helper = _citizen(jobs=["hjemmehjælper"], skills=["personlig pleje"], level="B1", classes=[], licences=["B"])
    r = rank(ranker, demo, helper)
    assert "Social- og sundhedshjælper" not in [p.opportunity.title for p in r.proposals]
    sosu = [m for m in r.near_misses if m.title == "Social- og sundhedshjælper"]
    assert sosu and sosu[0].rule == "missing_certificate"
    assert "start på uddannelsen i Holbæk giver uddannelse som social- og sundhedshjælper" in sosu[0].text_da


def test_a_line_adds_nothing_between_occupations_outside_it(ranker: Ranker, unlined: Ranker) -> None:
    """A welder and a welding job are in no line: their relevance is what it was."""
    cat, _ = catalogue(opportunity(title="Svejser", occupation_text="svejser", skills=["svejsning"]))
    welder = profile(previous_jobs=[{"title": "svejser", "years": 3}], skills=[{"text": "svejsning"}])
    with_lines = ranker.relevance(ranker.space.profile(welder), ranker.indexer.index(cat))
    without = unlined.relevance(unlined.space.profile(welder), unlined.indexer.index(cat))
    np.testing.assert_allclose(with_lines, without, rtol=1e-6)


def test_the_second_look_counts_a_skill_of_the_line_as_an_optional_one(ranker: Ranker) -> None:
    """The second look scored "tend to elderly people" as a stranger's skill for a care-home worker
    (ESCO lists it only for the SOSU helper), and took 0.27 off the score of every care-home job (0.35
    to 0.08) for a trained helper who wrote "personlig pleje"."""
    index = ranker.linker.index
    care_home = _occ(ranker, "residential care home worker")
    elderly = next(i for i, s in enumerate(index.skills) if s.label_en == "tend to elderly people")
    claims = [(elderly,)]
    lined = Likelihood(index, load_lines(index)).mean_log(care_home, claims)
    alone = Likelihood(index).mean_log(care_home, claims)
    helper = Likelihood(index).mean_log(_occ(ranker, "home care aide"), claims)
    assert alone < lined < helper  # more likely than a stranger's skill, less than the helper's own
