"""The committed Holbæk demo catalogue is valid, stable and self-contained.

These tests read only brobygger/data/holbaek_demo.json, never ../shared: the product (and CI) must
work where the ESCO source files are absent. Regenerate the file with
scripts/make_demo_catalogue.py.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from shared.contracts import CitizenProfile, Opportunity, derive_id

CATALOGUE = Path(__file__).resolve().parents[2] / "brobygger" / "data" / "holbaek_demo.json"
TOWNS = {"Holbæk": "4300", "Tølløse": "4340", "Jyderup": "4450", "Svinninge": "4520",
         "Mørkøv": "4440", "Vipperød": "4390", "Regstrup": "4420", "Tuse": "4300",
         "Ugerløse": "4350", "Orø": "4300"}
MIN_PER_KIND = {"ordinary_job": 110, "language_placement": 45, "education_step": 22,
                "association_activity": 27}
ESCO_LINE = "This service uses the ESCO classification of the European Commission."


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def payloads(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [item["payload"] for item in data["opportunities"]]


def of_kind(payloads: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [p for p in payloads if p["kind"] == kind]


def test_shape_and_attribution(data: dict[str, Any]) -> None:
    assert {"attribution", "generated_by", "esco_references", "opportunities", "intakes"} <= set(data)
    assert ESCO_LINE in data["attribution"]
    assert "Danish occupation labels" in data["attribution"]
    assert data["generated_by"] == "scripts/make_demo_catalogue.py"
    assert all(set(item) == {"id", "payload"} for item in data["opportunities"])


def test_every_payload_validates_against_the_contracts(data: dict[str, Any]) -> None:
    for item in data["opportunities"]:
        Opportunity.model_validate(item["payload"])
    for profile in data["intakes"]:
        CitizenProfile.model_validate(profile)


def test_ids_are_unique_and_follow_the_uuid5_rule(data: dict[str, Any]) -> None:
    ids = [item["id"] for item in data["opportunities"]]
    assert len(set(ids)) == len(ids)
    for item in data["opportunities"]:
        p = item["payload"]
        owner = p["owner"]
        key = owner.get("cvr") or owner.get("association_id") or owner["name"]
        expected = derive_id("holbaek-demo", p["kind"], key, p["title"])
        assert uuid.UUID(item["id"]) == expected, p["title"]
        assert expected.version == 5


def test_counts_per_kind(data: dict[str, Any], payloads: list[dict[str, Any]]) -> None:
    counts = Counter(p["kind"] for p in payloads)
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, (kind, counts[kind])
    companies = {p["owner"]["cvr"] for p in payloads if p["owner"]["type"] == "company"}
    assert len(companies) >= 55
    assert len(data["intakes"]) == 8


def test_every_town_appears_with_its_postcode(payloads: list[dict[str, Any]]) -> None:
    firms_per_town = Counter(p["location"]["town"] for p in payloads if p["owner"]["type"] == "company")
    assert set(firms_per_town) == set(TOWNS)
    assert firms_per_town.most_common(1)[0][0] == "Holbæk"
    for p in payloads:
        loc = p["location"]
        assert loc["postcode"] == TOWNS[loc["town"]], loc
        # inside Holbæk Kommune, roughly (Orø included)
        assert 55.55 < loc["point"]["lat"] < 55.80 and 11.38 < loc["point"]["lon"] < 11.87, loc


def test_every_esco_uri_is_in_the_files_own_references(
    data: dict[str, Any], payloads: list[dict[str, Any]]
) -> None:
    refs = data["esco_references"]
    occupations, skills = refs["occupations"], refs["skills"]
    used_occ: set[str] = set()
    used_skills: set[str] = set()
    for p in payloads:
        if "esco_occupation" in p:
            used_occ.add(p["esco_occupation"])
        used_skills.update(p.get("esco_skills", []))
        used_skills.update(p.get("education", {}).get("teaches_skills", []))
    for profile in data["intakes"]:
        used_occ.update(j["esco_occupation"] for j in profile.get("previous_jobs", [])
                        if "esco_occupation" in j)
        used_skills.update(s["esco_skill"] for s in profile.get("skills", []) if "esco_skill" in s)
    assert used_occ and used_occ <= set(occupations)
    assert used_skills and used_skills <= set(skills)
    assert all(u.startswith("http://data.europa.eu/esco/occupation/") for u in occupations)
    assert all(u.startswith("http://data.europa.eu/esco/skill/") for u in skills)
    assert all(o["en"] and o["da"] for o in occupations.values())


def test_jobs_and_placements_name_an_occupation_and_skills(payloads: list[dict[str, Any]]) -> None:
    for p in of_kind(payloads, "ordinary_job") + of_kind(payloads, "language_placement"):
        assert p["esco_occupation"] and p["occupation_text"], p["title"]
        assert 3 <= len(p["esco_skills"]) <= 8 and p["skills"], p["title"]
        assert 1 <= p["capacity"] <= 4


def test_invented_owners_are_marked_fictional(payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        owner = p["owner"]
        assert owner["name"].endswith("(fiktiv)"), owner["name"]
        assert owner.get("contact_email", "x@example.org").endswith(".example.org")
        if owner["type"] == "company":
            assert owner["cvr"].startswith("99")
    cvr_names: dict[str, set[str]] = {}
    for p in payloads:
        if p["owner"]["type"] == "company":
            cvr_names.setdefault(p["owner"]["cvr"], set()).add(p["owner"]["name"])
    assert all(len(names) == 1 for names in cvr_names.values())


def test_language_placements_suit_newcomers(payloads: list[dict[str, Any]]) -> None:
    placements = of_kind(payloads, "language_placement")
    assert {p["placement_type"] for p in placements} == {
        "sprogpraktik", "virksomhedspraktik", "igu", "loentilskud"}
    assert sum(p["danish_mentor"] for p in placements) >= 0.7 * len(placements)
    assert all(p.get("min_danish_level") in (None, "A1", "A2") for p in placements)
    assert all(p["schedule"]["slots"] for p in placements)


def test_education_closes_every_certificate_and_licence_gap(payloads: list[dict[str, Any]]) -> None:
    steps = [p["education"] for p in of_kind(payloads, "education_step")]
    granted = {c for s in steps for c in s.get("grants_certificates", [])}
    licences = {s["grants_driving_licence"] for s in steps if "grants_driving_licence" in s}
    jobs = of_kind(payloads, "ordinary_job")
    assert {c for j in jobs for c in j.get("required_certificates", [])} <= granted
    assert {j["required_driving_licence"] for j in jobs if "required_driving_licence" in j} <= licences
    assert {"forklift", "food_hygiene", "first_aid", "cleaning_basics", "care_assistant"} <= granted
    assert {"B", "C"} <= licences
    assert {s["education_type"] for s in steps} >= {"AMU", "FVU", "VUC", "driving_licence"}


def test_associations_are_varied(payloads: list[dict[str, Any]]) -> None:
    activities = of_kind(payloads, "association_activity")
    details = [a["association"] for a in activities]
    assert {d["activity_type"] for d in details} >= {
        "sports", "culture", "volunteering", "parents_network", "womens_network"}
    assert any(d["women_only"] for d in details)
    assert Counter(d["language_friendly"] for d in details).keys() == {True, False}
    assert all(a["owner"]["type"] == "association" and a["schedule"]["slots"] for a in activities)


def test_sample_intakes_are_varied_and_invented(data: dict[str, Any]) -> None:
    intakes = data["intakes"]
    assert all(i["personal"]["email"].endswith("@example.org") for i in intakes)
    assert all(i["home_town"] in TOWNS and i["danish"]["class_times"] for i in intakes)
    assert all("opdigtet" in i["personal"]["caseworker_note"] for i in intakes)
    assert sum(not i["consent"]["association_activity"] for i in intakes) == 1
    assert any(i["wants_women_only_activities"] for i in intakes)
    assert any(not i.get("previous_jobs") for i in intakes)
    assert any("C" in i["transport"]["driving_licences"] for i in intakes)
    assert len({i["audit"]["gender"] for i in intakes}) >= 2
    assert len({i["audit"]["origin_group"] for i in intakes}) >= 3
