"""Common Danish job titles link to the right ESCO occupation (the reviewed list in titles_reviewed.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import profile

REVIEWED = json.loads((Path(__file__).parent / "titles_reviewed.json").read_text(encoding="utf-8"))["titles"]


def test_the_list_holds_the_demo_titles_and_a_hundred_star_titles() -> None:
    sources = [e["source"] for e in REVIEWED]
    assert sources.count("star") == 100 and sources.count("demo") >= 50


@pytest.mark.parametrize("entry", REVIEWED, ids=[f"{e['source']}:{e['title']}" for e in REVIEWED])
def test_a_previous_job_title_links_to_a_reviewed_occupation(ranker: Ranker, entry: dict[str, object]) -> None:
    title = str(entry["title"])
    enc = ranker.space.profile(profile(previous_jobs=[{"title": title}], skills=[]))
    linked = [ranker.linker.index.occupations[o].label_en for o in enc.occupations]
    assert linked and linked[0] in entry["expect"], (title, linked[:3])


def test_a_lorry_driver_is_a_cargo_vehicle_driver_and_nothing_else(ranker: Ranker) -> None:
    enc = ranker.space.profile(profile(previous_jobs=[{"title": "Lastbilchauffør"}], skills=[]))
    assert [ranker.linker.index.occupations[o].label_en for o in enc.occupations] == ["cargo vehicle driver"]


PINNED = json.loads(
    (Path(__file__).parents[3] / "services" / "matcher" / "data" / "titles_da.json").read_text(encoding="utf-8")
)["titles"]


@pytest.mark.parametrize("title", sorted(PINNED))
def test_a_pinned_title_is_its_occupation_and_nothing_else(ranker: Ranker, title: str) -> None:
    """A second reading of a pinned title would still pull in other trades ("lagerarbejder" read as an
    insulation worker too put bricklayer jobs among a warehouse worker's near misses)."""
    enc = ranker.space.profile(profile(previous_jobs=[{"title": title}], skills=[]))
    assert [ranker.linker.index.occupations[o].label_en for o in enc.occupations] == [PINNED[title][0]]
