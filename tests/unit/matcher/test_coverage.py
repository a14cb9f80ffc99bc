"""Coverage: how surely an opportunity needs each skill, read from ESCO's lists, not link confidence."""

from __future__ import annotations

import pytest

from services.matcher.domain.features import OPTIONAL_COVERAGE, ambiguity_discount
from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import opportunity


def _coverage(ranker: Ranker, title: str) -> list[dict[int, float]]:
    """Per reading of the opportunity's title: skill position -> coverage (before the ambiguity discount)."""
    space = ranker.space
    enc = space.opportunity(opportunity(title=title, occupation_text=title, skills=[]))
    rows = space.reading_rows(enc)
    discount = ambiguity_discount(len(enc.readings))
    return [
        {int(f) - space.n_occ: float(c) / discount for f, c in zip(idx, cover, strict=True) if f >= space.n_occ}
        for idx, _, cover in rows
    ]


def _occupation(ranker: Ranker, label: str) -> int:
    return next(i for i, o in enumerate(ranker.linker.index.occupations) if o.label_en == label)


def test_an_occupation_linked_through_a_star_title_needs_its_essential_skills_fully(ranker: Ranker) -> None:
    # "politisk kommentator" is a STAR title of "columnist" (link confidence 0.93). A cut at full
    # weight counted every essential skill of it as optional (0.3), so an opportunity titled with
    # ESCO's preferred label won on coverage alone.
    columnist = ranker.linker.index.occupations[_occupation(ranker, "columnist")]
    (cover,) = _coverage(ranker, "politisk kommentator")
    assert all(cover[s] == pytest.approx(1.0) for s in columnist.essential)
    assert all(cover[s] == pytest.approx(OPTIONAL_COVERAGE) for s in set(columnist.optional) - set(columnist.essential))
    (preferred,) = _coverage(ranker, "columnist")
    assert {s: round(v, 6) for s, v in preferred.items()} == {s: round(v, 6) for s, v in cover.items()}


def test_an_ambiguous_title_needs_a_skill_as_surely_as_the_share_of_its_readings_that_do(ranker: Ranker) -> None:
    readings = ranker.linker.occupations(["Lektor"])[0].readings
    assert len(readings) > 4
    rows = _coverage(ranker, "Lektor")
    assert len(rows) == len(readings)
    esco = ranker.linker.index
    essential = [set(esco.occupations[lk.index].essential) for lk in readings]
    optional = [set(esco.occupations[lk.index].optional) for lk in readings]
    k = len(readings)
    lists = list(zip(essential, optional, strict=True))
    for row, ess in zip(rows, essential, strict=True):
        for s in list(ess)[:20]:
            expected = sum(1.0 if s in e else OPTIONAL_COVERAGE if s in o else 0.0 for e, o in lists) / k
            assert row[s] == pytest.approx(expected, rel=1e-5)
    # a skill only one lecturer needs is needed by "Lektor" with probability about 1/k, not for sure
    only_one = [(r, s) for r, ess in enumerate(essential) for s in ess if sum(s in e or s in o for e, o in lists) == 1]
    assert only_one
    r, s = only_one[0]
    assert rows[r][s] == pytest.approx(1.0 / k, rel=1e-5)
