"""ESCO autocomplete over the packaged artifact: Danish and English labels, typos forgiven, URIs given."""

from __future__ import annotations

import pytest

from services.matcher.adapters.esco_store import load_index
from services.matcher.domain.suggest import Suggester


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(load_index())


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


def test_a_label_several_occupations_share_names_one_the_one_whose_preferred_label_it_is(suggester: Suggester) -> None:
    """The form fills in the URI of the label picked: five options reading "rengøringsassistent" gave one
    of five occupations whichever was picked, and the first was "drapery and carpet cleaner"."""
    found = suggester.suggest("rengøringsas", "occupation")
    assert found[0].label == "rengøringsassistent" and found[0].label_en == "building cleaner"
    texts = [s.label.casefold() for s in found]
    assert len(set(texts)) == len(texts), texts
    assert suggester.suggest("rengøringsassistent", "occupation")[0].label_en == "building cleaner"
