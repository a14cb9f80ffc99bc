"""Each test offers a perfectly matching opportunity that breaks one hard rule."""

from __future__ import annotations

from typing import Any

from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import catalogue, opportunity, profile


def _proposed(ranker: Ranker, opp_overrides: dict[str, Any], **profile_overrides: Any) -> bool:
    cat, ids = catalogue(opportunity(**opp_overrides))
    result = ranker.rank(profile(**profile_overrides), cat, top_n=10)
    return ids[0] in {p.opportunity_id for p in result.proposals + result.associations}


def test_the_matching_job_itself_is_proposed(ranker: Ranker) -> None:
    assert _proposed(ranker, {})


def test_no_proposal_without_consent_for_that_kind(ranker: Ranker) -> None:
    consent = {
        "ordinary_job": False,
        "language_placement": True,
        "education_step": True,
        "association_activity": True,
    }
    assert not _proposed(ranker, {}, consent=consent)


def test_no_job_needing_more_danish_unless_it_offers_a_mentor(ranker: Ranker) -> None:
    assert not _proposed(ranker, {"min_danish_level": "B2"})
    assert _proposed(ranker, {"min_danish_level": "B2", "danish_mentor": True})


def test_no_commute_beyond_the_citizens_maximum(ranker: Ranker) -> None:
    far = {"town": "Nakskov", "postcode": "4900", "point": {"lat": 54.83, "lon": 11.13}}
    assert not _proposed(ranker, {"location": far})


def test_no_hours_that_collide_with_danish_classes(ranker: Ranker) -> None:
    slots = [{"day": "tue", "start": "09:00", "end": "12:00"}]  # class is tue 08:30-11:45
    assert not _proposed(ranker, {"schedule": {"hours_per_week": 20, "slots": slots}})


def test_no_job_needing_a_certificate_the_citizen_lacks(ranker: Ranker) -> None:
    assert not _proposed(ranker, {"required_certificates": ["forklift"]})
    assert _proposed(ranker, {"required_certificates": ["forklift"]}, certificates=["forklift"])


def test_no_job_needing_a_driving_licence_the_citizen_lacks(ranker: Ranker) -> None:
    assert not _proposed(ranker, {"required_driving_licence": "C"})


def test_igu_only_for_citizens_the_caseworker_judged_eligible(ranker: Ranker) -> None:
    igu = {"kind": "language_placement", "placement_type": "igu"}
    assert not _proposed(ranker, igu)  # unset: no IGU proposals
    assert not _proposed(ranker, igu, igu_eligible=False)
    assert _proposed(ranker, igu, igu_eligible=True)


def test_igu_eligibility_never_comes_from_the_audit_age_band(ranker: Ranker) -> None:
    igu = {"kind": "language_placement", "placement_type": "igu"}
    young = {"gender": "female", "origin_group": "refugee", "age_band": "25-29"}
    old = {**young, "age_band": "50-64"}
    assert not _proposed(ranker, igu, audit=young)
    assert _proposed(ranker, igu, audit=old, igu_eligible=True)


def test_no_course_for_a_licence_or_certificate_the_citizen_already_holds(ranker: Ranker) -> None:
    course = {
        "kind": "education_step",
        "owner": {"type": "education_provider", "name": "Køreskolen (fiktiv)"},
        "education": {"education_type": "driving_licence", "grants_driving_licence": "C"},
    }
    holds_c = {"bike": True, "public_transport": True, "max_commute_minutes": 45, "driving_licences": ["B", "C"]}
    assert _proposed(ranker, course)
    assert not _proposed(ranker, course, transport=holds_c)
