"""ESCO autocomplete over the packaged artifact: Danish and English labels, typos forgiven, URIs given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.matcher.bootstrap import suggester_of
from services.matcher.domain.ranking import Ranker
from services.matcher.domain.suggest import Suggester, SuggestKind
from services.matcher.domain.text import normalise

REVIEWED = json.loads((Path(__file__).parent / "titles_reviewed.json").read_text(encoding="utf-8"))["titles"]


@pytest.fixture(scope="module")
def suggester(ranker: Ranker) -> Suggester:
    return suggester_of([ranker])  # as the matcher builds it


def test_a_misspelt_danish_occupation_is_found_with_its_uri_and_english_label(suggester: Suggester) -> None:
    (first, *_) = suggester.suggest("sygeplejeske", "occupation")
    assert first.label == "sygeplejerske" and first.language == "da"
    assert first.uri.startswith("http://data.europa.eu/esco/occupation/")
    assert "nurse" in first.label_en


def test_what_was_typed_so_far_finds_labels_that_start_with_it(suggester: Suggester) -> None:
    labels = [s.label.casefold() for s in suggester.suggest("lagerarb", "occupation")]
    assert labels[0].startswith("lagerarbejd")


def test_english_skills_are_suggested_and_each_concept_is_named_once(suggester: Suggester) -> None:
    found = suggester.suggest("welding", "skill", limit=8)
    assert found and all(s.uri.startswith("http://data.europa.eu/esco/skill/") for s in found)
    assert any("welding" in s.label for s in found)
    assert len({s.uri for s in found}) == len(found)


def test_one_letter_or_punctuation_gives_nothing(suggester: Suggester) -> None:
    assert suggester.suggest("k", "occupation") == []
    assert suggester.suggest("--", "skill") == []


def test_a_label_several_occupations_share_is_offered_once_for_one_of_them(suggester: Suggester) -> None:
    """The form fills in the URI of the label picked: five options reading "rengøringsassistent" gave one
    of five occupations whichever was picked, and the first was "drapery and carpet cleaner"."""
    found = suggester.suggest("rengøringsas", "occupation")
    assert found[0].label == "rengøringsassistent" and found[0].label_en == "building cleaner"
    texts = [s.label.casefold() for s in found]
    assert len(set(texts)) == len(texts), texts


def test_without_a_linker_a_shared_label_names_the_occupation_whose_preferred_label_it_is(ranker: Ranker) -> None:
    plain = Suggester(ranker.linker.index)
    assert plain.suggest("rengøringsassistent", "occupation")[0].label_en == "building cleaner"


@pytest.mark.parametrize("entry", REVIEWED, ids=[f"{e['source']}:{e['title']}" for e in REVIEWED])
def test_a_reviewed_title_typed_in_full_suggests_the_occupation_the_ranking_reads_it_as(
    suggester: Suggester, entry: dict[str, object]
) -> None:
    """The URI of the first suggestion overrides the linker; it must be what the linker reads the title as
    (16 of these 154 titles suggested another occupation first: "lastbilchauffør" a dangerous goods driver,
    "pædagogmedhjælper" an early years teacher, "fabriksbager" nothing at all)."""
    first = suggester.suggest(str(entry["title"]), "occupation", limit=1)
    assert first and first[0].label_en in entry["expect"], (entry["title"], first)


@pytest.mark.parametrize("kind", ["occupation", "skill"])
def test_a_shared_label_typed_in_full_names_the_linkers_best_reading_among_its_carriers(
    suggester: Suggester, ranker: Ranker, kind: SuggestKind
) -> None:
    """Every 7th of the label texts several concepts carry (up to 120; the reviewed titles are above)."""
    carriers: dict[str, set[int]] = {}
    text: dict[str, str] = {}
    for label in suggester._tables[kind].labels:
        carriers.setdefault(label.folded, set()).add(label.concept)
        text.setdefault(label.folded, label.text)
    reviewed = set(ranker.space.titles)
    shared = [f for f in sorted(carriers) if len(carriers[f]) > 1 and normalise(text[f]) not in reviewed][::7][:120]
    assert len(shared) > 15
    linked = ranker.linker.link_uncached([(kind, text[f]) for f in shared])
    checked = 0
    for f, reading in zip(shared, linked, strict=True):
        best = next((lk.index for lk in reading.links if lk.index in carriers[f]), None)
        if best is None:
            continue  # the linker reads it as none of them: no owner, the preferred label decides
        found = suggester.suggest(text[f], kind, limit=1)
        concepts = ranker.linker.index.occupations if kind == "occupation" else ranker.linker.index.skills
        assert found and found[0].uri == concepts[best].uri, (text[f], found)
        checked += 1
    assert checked > 15
