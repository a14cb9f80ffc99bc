"""Protected fields are never ranking features: changing them changes no ranking."""

from __future__ import annotations

from typing import Any

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity
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
        opportunity(
            kind="language_placement",
            placement_type="igu",
            danish_mentor=True,
            title="IGU-elev, rengøring",
        ),
        association(),
        association(title="Syklub for kvinder", association={"activity_type": "womens_network"}),
    ]
    return catalogue(*opps)[0]


def _ranking(
    ranker: Ranker, cat: Catalogue, **overrides: Any
) -> list[tuple[object, float, str]]:
    base = profile(
        personal={"name": "Fast Navn", "home": {"lat": 55.7158, "lon": 11.7128}}, igu_eligible=True
    )
    payload = base.model_dump(mode="json")
    payload["personal"] |= overrides.pop("personal", {})
    payload["audit"] |= overrides.pop("audit", {})
    payload |= overrides
    changed = type(base).model_validate(payload)
    result = ranker.rank(changed, cat)
    return [
        (i.opportunity_id, i.score, i.reasons.model_dump_json())
        for i in result.proposals + result.associations
    ]


def _proposals(ranker: Ranker, cat: Catalogue) -> list[RankedOpportunity]:
    base = profile(personal={"name": "Fast Navn"}, igu_eligible=True)
    result = ranker.rank(base, cat)
    return result.proposals + result.associations


_VARIANTS: list[dict[str, Any]] = [
    {"audit": {"gender": "male"}},
    {"audit": {"gender": "other", "origin_group": "eu"}},
    {"audit": {"origin_group": "non_western", "age_band": "50-64"}},
    {"audit": {"age_band": "18-24"}},
    {"audit": {"age_band": "65+"}},
    {"audit": {"age_band": "undisclosed", "gender": "undisclosed", "origin_group": "undisclosed"}},
    {"personal": {"social_control_concern": True}},
    {"personal": {"caseworker_note": "Bekymring for social kontrol; ægtefælle ringer ofte."}},
    {
        "audit": {"gender": "male", "origin_group": "western_non_eu", "age_band": "40-49"},
        "personal": {"social_control_concern": True, "caseworker_note": "Alt på én gang."},
    },
]


def test_the_catalogue_exercises_every_kind_and_the_igu_rule(ranker: Ranker) -> None:
    cat = _catalogue()
    ranked = {(i.opportunity.kind, i.opportunity.placement_type) for i in _proposals(ranker, cat)}
    assert ("language_placement", "igu") in ranked  # the legal rule is live in this catalogue
    assert {"ordinary_job", "association_activity"} <= {kind for kind, _ in ranked}


def test_changing_protected_fields_changes_no_ranking(ranker: Ranker) -> None:
    cat = _catalogue()
    reference = _ranking(ranker, cat)
    for variant in _VARIANTS:
        assert _ranking(ranker, cat, **variant) == reference, variant


def test_protected_fields_change_nothing_for_a_citizen_not_judged_igu_eligible(
    ranker: Ranker,
) -> None:
    cat = _catalogue()
    reference = _ranking(ranker, cat, igu_eligible=None)
    assert len(reference) == len(_ranking(ranker, cat)) - 1  # only the IGU placement goes
    for variant in _VARIANTS:
        assert _ranking(ranker, cat, igu_eligible=None, **variant) == reference, variant
