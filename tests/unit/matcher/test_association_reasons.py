"""Associations are proposed for a reason the citizen can read, never as filler.

An association reaches the citizen when it matches one of their interests (by n-grams, or by a
reviewed group of everyday words for the same pastime), or when it welcomes beginners in Danish and
the citizen's Danish is low; at most `PRACTISE_ONLY` of the latter, and none at or below the floor.
The reverse shortlist reads the same similarity, so both directions agree.
"""

from __future__ import annotations

import uuid

import pytest

from services.matcher.domain.associations import (
    MATCH,
    InterestEncoder,
    build_association_index,
    interest_groups,
    interest_match,
)
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.proposing import kind_notes
from services.matcher.domain.ranking import MIN_SCORE, PRACTISE_ONLY, Ranker
from services.matcher.domain.reverse import CitizenMatrix, ReverseRanker
from shared.contracts import Opportunity, OpportunityKind
from tests.unit.matcher.conftest import association, catalogue, profile


def _activity(title: str, description: str = "", friendly: bool = True) -> Opportunity:
    return association(
        title=title,
        description=description or f"{title} for alle i Holbæk.",
        association={"activity_type": "other", "language_friendly": friendly},
    )


def test_an_interest_finds_an_activity_named_by_another_word_for_the_same_pastime(ranker: Ranker) -> None:
    cat, _ = catalogue(
        _activity("Syklub for kvinder"),
        _activity("Fællessang og kor"),
        _activity("Fotoklub"),
        _activity("Reparationscafé", "Vi reparerer cykler, og der er en systue."),
    )
    ci = ranker.indexer.index(cat)
    ai = build_association_index(ranker.linker.encoder, ci)
    titles = [ci.opportunities[i].title for i in ai.positions]

    def matches(*interests: str) -> dict[str, list[str]]:
        sims, words = interest_match(InterestEncoder(ranker.linker.encoder), profile(interests=list(interests)), ai)
        return {t: w for t, s, w in zip(titles, sims, words, strict=True) if s >= MATCH}

    assert matches("syning") == {"Syklub for kvinder": ["syning"], "Reparationscafé": ["syning"]}
    assert matches("musik") == {"Fællessang og kor": ["musik"]}
    assert matches("kor") == {"Fællessang og kor": ["kor"]}
    # A shared compound part is no match: a running club's "klub" is not the photo club's.
    assert "Fotoklub" not in matches("løbeklub", "læseklub", "strikkeklub")


def test_the_reverse_shortlist_finds_the_citizens_the_group_words_match(ranker: Ranker) -> None:
    reverse = ReverseRanker(ranker)
    sewer, singer, runner = profile(interests=["syning"]), profile(interests=["kor"]), profile(interests=["løbeklub"])
    matrix = CitizenMatrix(reverse.width())
    ids = [uuid.uuid4() for _ in range(3)]
    for citizen_id, p in zip(ids, (sewer, singer, runner), strict=True):
        matrix.put(citizen_id, reverse.row(p))
    ai = reverse.associations(reverse.index({uuid.uuid4(): _activity("Syklub for kvinder")}))
    short = dict(matrix.by_interest(ai, 0, False, set(), 10))
    assert set(short) == {ids[0]}
    own, _ = interest_match(reverse.interests, sewer, ai)
    assert short[ids[0]] == pytest.approx(float(own[0]), rel=1e-5)


def test_no_association_is_filler(ranker: Ranker, demo: Catalogue) -> None:
    """Without a matching interest and with good Danish: none. With low Danish: a few places to practise."""
    fluent = ranker.rank(profile(interests=[], danish={"level": "B2"}), demo, top_n=10)
    assert fluent.associations == []
    beginner = ranker.rank(profile(interests=[], danish={"level": "A1"}), demo, top_n=10)
    assert 0 < len(beginner.associations) <= PRACTISE_ONLY
    for a in beginner.associations:
        assert a.opportunity.association is not None and a.opportunity.association.language_friendly
        assert a.score > MIN_SCORE
        assert "øve dansk" in a.reasons.text_da and "practise Danish" in a.reasons.text_en


def test_a_matching_interest_comes_first_and_is_named_in_the_reason(ranker: Ranker, demo: Catalogue) -> None:
    result = ranker.rank(profile(interests=["syning", "madlavning"], danish={"level": "A2"}), demo, top_n=10)
    named = [a for a in result.associations if a.reasons.matched_skills]
    practise = [a for a in result.associations if not a.reasons.matched_skills]
    assert named and len(practise) <= PRACTISE_ONLY
    assert result.associations[: len(named)] == named  # every interest match before any practise-only one
    for a in named:
        words = a.reasons.matched_skills
        assert set(words) <= {"syning", "madlavning"}
        assert f"din interesse for {words[0]}" in a.reasons.text_da
    assert {a.opportunity.title for a in named} & {"Reparationscafé og systue", "Kvindernes madklub"}
    for a in result.associations:
        assert a.score > MIN_SCORE


def test_every_group_word_is_in_a_group_it_names() -> None:
    groups = interest_groups()
    assert groups.size > 10
    assert groups.of_interest("Syning") == groups.of_interest("syklub") and groups.of_interest("syning")
    assert groups.of_interest("fodbold og løb") == groups.of_interest("fodbold") | groups.of_interest("løb")
    assert groups.of_interest("kvantefysik") == set()


def test_a_citizen_with_no_association_gets_a_note_that_names_no_course(ranker: Ranker, demo: Catalogue) -> None:
    fluent = ranker.rank(profile(interests=["kvantefysik"], danish={"level": "B2"}), demo, top_n=10)
    assert fluent.associations == []
    [note] = [n for n in kind_notes(fluent) if n.kind is OpportunityKind.ASSOCIATION_ACTIVITY]
    assert note.text_da == "Ingen forening passer til dine interesser endnu."
    assert note.text_en == "No association matches your interests yet." and note.opener_id is None
    beginner = ranker.rank(profile(interests=[], danish={"level": "A1"}), demo, top_n=10)
    assert beginner.associations
    assert OpportunityKind.ASSOCIATION_ACTIVITY not in {n.kind for n in kind_notes(beginner)}
    hides = profile(interests=["kvantefysik"], danish={"level": "B2"}, hide_associations=True)
    hidden = ranker.rank(hides, demo, top_n=10)
    assert OpportunityKind.ASSOCIATION_ACTIVITY not in {n.kind for n in kind_notes(hidden)}  # hidden at their wish


def test_an_association_says_its_doubts_like_a_job_a_guessed_commute_and_a_small_overlap(ranker: Ranker) -> None:
    """The same flags and schedule line as a job's, so the e-mail and the page can say them."""
    cat, ids = catalogue(
        association(schedule={"hours_per_week": 3, "slots": [{"day": "tue", "start": "16:00", "end": "19:00"}]}),
        association(
            title="Fodbold om lørdagen",
            schedule={"hours_per_week": 2, "slots": [{"day": "sat", "start": "10:00", "end": "12:00"}]},
        ),
    )
    citizen = profile(
        personal={"name": "Testperson", "email": "t@example.org"},  # no home point: only the postcode
        interests=["fodbold"],
        availability={"hours_per_week": 30, "unavailable": [{"day": "tue", "start": "18:30", "end": "20:00"}]},
    )
    result = ranker.rank(citizen, cat, top_n=10)
    why = {a.opportunity_id: a.reasons for a in result.associations}
    tuesday, saturday = why[ids[0]], why[ids[1]]
    assert tuesday.flags == ["hours_overlap", "commute_from_postcode"] and not tuesday.hours_fit
    assert "overlapper lidt med dine andre aftaler (tir 18:30–20)" in tuesday.text_da
    assert tuesday.schedule_da in tuesday.text_da and "anslået ud fra dit postnummer" in tuesday.text_da
    assert saturday.flags == ["commute_from_postcode"] and saturday.schedule_da == ""
    assert "tiden er" not in saturday.text_da, "an association's times are said only when they touch a commitment"
