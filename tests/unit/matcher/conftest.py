"""A ranker over the packaged ESCO artifact, built once per test session (cached on disk)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from brobygger.demo import load_demo_data
from services.matcher.adapters.esco_store import load_ranker
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.ranking import Ranker
from shared.contracts import CitizenProfile, Opportunity
from tests.samples import opportunity_payload, profile_payload


@pytest.fixture(scope="session")
def ranker() -> Ranker:
    return load_ranker()


def demo_catalogue() -> Catalogue:
    """The packaged Holbæk demo catalogue, a fresh instance (a catalogue's index is kept per instance)."""
    cat = Catalogue()
    for item in load_demo_data()["opportunities"]:
        cat.upsert(uuid.UUID(item["id"]), Opportunity.model_validate(item["payload"]))
    return cat


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return demo_catalogue()


def profile(**overrides: Any) -> CitizenProfile:
    return CitizenProfile.model_validate(profile_payload(**overrides))


def opportunity(**overrides: Any) -> Opportunity:
    return Opportunity.model_validate(opportunity_payload(**overrides))


def forklift_course(**overrides: Any) -> Opportunity:
    """An AMU course granting the forklift certificate."""
    return opportunity(
        **{
            "kind": "education_step",
            "title": "Truckcertifikat (AMU)",
            "occupation_text": None,
            "skills": [],
            "owner": {"type": "education_provider", "name": "AMU Vest"},
            "education": {"education_type": "AMU", "grants_certificates": ["forklift"]},
            **overrides,
        }
    )


def lorry_job() -> Opportunity:
    """A lorry job: the C licence and the driver's qualification."""
    return opportunity(
        title="Lastbilchauffør",
        occupation_text="lastbilchauffør",
        skills=[],
        required_certificates=["driver_qualification"],
        required_driving_licence="C",
    )


def qualification_course() -> Opportunity:
    """The driver's qualification (GKU), an AMU course."""
    return forklift_course(
        title="Grundlæggende kvalifikationsuddannelse",
        education={"education_type": "AMU", "grants_certificates": ["driver_qualification"]},
    )


def licences(*held: str) -> dict[str, Any]:
    """The sample profile's transport, with these driving licences."""
    return {"driving_licences": list(held), "bike": True, "public_transport": True, "max_commute_minutes": 45}


def catalogue(*opps: Opportunity) -> tuple[Catalogue, list[uuid.UUID]]:
    cat = Catalogue()
    ids = [uuid.uuid4() for _ in opps]
    for oid, opp in zip(ids, opps, strict=True):
        cat.upsert(oid, opp)
    return cat, ids


def association(**overrides: Any) -> Opportunity:
    base: dict[str, Any] = {
        "kind": "association_activity",
        "owner": {"type": "association", "association_id": "holbaek-if", "name": "Holbæk IF"},
        "title": "Fodbold for alle",
        "occupation_text": None,
        "skills": [],
        "association": {"activity_type": "sports", "language_friendly": True},
    }
    base.update(overrides)
    return opportunity(**base)
