"""Protected fields are never ranking features: changing them changes no ranking."""

from __future__ import annotations

from typing import Any

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import association, catalogue, opportunity, profile


def _catalogue() -> Catalogue:
    opps = [
        opportunity(),
        opportunity(title="Køkkenmedhjælper", occupation_text=None, skills=["opvask"]),
        opportunity(
            kind="language_placement",
            placement_type="virksomhedspraktik",
            danish_mentor=True,
            title="Lagermedarbejder",
            occupation_text=None,
        ),
        opportunity(title="Social- og sundhedshjælper", min_danish_level=None, skills=[]),
        association(),
        association(title="Syklub for kvinder", association={"activity_type": "womens_network"}),
    ]
    return catalogue(*opps)[0]


def _ranking(
    ranker: Ranker, cat: Catalogue, **overrides: Any
) -> list[tuple[object, float, str, str]]:
    base = profile(personal={"name": "Fast Navn", "home": {"lat": 55.7158, "lon": 11.7128}})
    payload = base.model_dump(mode="json")
    payload["personal"] |= overrides.pop("personal", {})
    payload["audit"] |= overrides.pop("audit", {})
    changed = type(base).model_validate(payload)
    result = ranker.rank(changed, cat)
    return [
        (i.opportunity_id, i.score, i.reasons.text_da, i.reasons.text_en)
        for i in result.proposals + result.associations
    ]


def test_changing_protected_fields_changes_no_ranking(ranker: Ranker) -> None:
    cat = _catalogue()
    reference = _ranking(ranker, cat)
    variants: list[dict[str, Any]] = [
        {"audit": {"gender": "male"}},
        {"audit": {"gender": "other", "origin_group": "eu"}},
        {"audit": {"origin_group": "non_western", "age_band": "50-64"}},
        {"audit": {"age_band": "18-24"}},
        {"personal": {"social_control_concern": True}},
        {"personal": {"caseworker_note": "Bekymring for social kontrol; ægtefælle ringer ofte."}},
    ]
    for variant in variants:
        assert _ranking(ranker, cat, **variant) == reference, variant
