"""Caseload search, catalogue filters and the intake form's mapping, as pure functions."""

from __future__ import annotations

import datetime as dt
import uuid

from services.intake.domain.access import Principal, Role
from services.intake.domain.caseload import CaseEntry, CaseQuery, name_matches, select
from services.intake.domain.catalogue import CatalogueEntry, CatalogueQuery, visible_to
from services.intake.domain.catalogue import select as select_catalogue
from services.intake.entrypoints.pages.forms import field_of, profile_payload, validate
from shared.contracts import Opportunity
from tests.samples import opportunity_payload

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def entry(days: int, ranked: bool = False, waiting: int = 0) -> CaseEntry:
    at = T0 + dt.timedelta(days=days)
    return CaseEntry(
        citizen_id=uuid.uuid4(),
        municipality="316",
        registered_at=at,
        updated_at=at,
        ranked_at=at if ranked else None,
        proposals_waiting=waiting,
    )


def test_a_name_is_found_by_the_start_of_each_word_whatever_the_case_and_accents() -> None:
    assert name_matches("Amina Hassan", "am HAS")
    assert name_matches("Zoë Ørsted", "zoe ør")
    assert not name_matches("Amina Hassan", "mina")


def test_the_caseload_filters_sorts_and_pages() -> None:
    a, b, c = entry(1, ranked=True, waiting=3), entry(2), entry(3, ranked=True)
    names = {a.citizen_id: "Amina", b.citizen_id: "Bashir", c.citizen_id: "Carla"}
    newest = select([a, b, c], names, CaseQuery(per_page=2))
    assert [e for e, _ in newest.rows] == [c, b] and newest.pages == 2
    assert [e for e, _ in select([a, b, c], names, CaseQuery(status="proposals_waiting")).rows] == [a]
    assert [e for e, _ in select([a, b, c], names, CaseQuery(waiting=False, sort="name")).rows] == [b, c]
    assert [n for _, n in select([a, b, c], names, CaseQuery(q="car")).rows] == ["Carla"]


def catalogue_entry(**overrides: object) -> CatalogueEntry:
    return CatalogueEntry(
        opportunity_id=uuid.uuid4(),
        registered_at=T0,
        updated_at=T0,
        opportunity=Opportunity.model_validate(opportunity_payload(**overrides)),
    )


def test_a_company_sees_only_its_own_opportunities_and_a_caseworker_only_their_municipalitys() -> None:
    mine = catalogue_entry(owner={"type": "company", "cvr": "11111111", "name": "A"})
    elsewhere = catalogue_entry(municipality_code="101")
    assert visible_to(Principal("11111111", Role.COMPANY), mine)
    assert not visible_to(Principal("22222222", Role.COMPANY), mine)
    assert visible_to(Principal("cw", Role.CASEWORKER, "316"), mine)
    assert not visible_to(Principal("cw", Role.CASEWORKER, "316"), elsewhere)
    assert not visible_to(Principal(str(uuid.uuid4()), Role.CITIZEN), mine)


def test_the_catalogue_filters_by_text_and_leaves_out_expired_and_withdrawn_ones() -> None:
    cook = catalogue_entry(title="Kok i kantine")
    expired = catalogue_entry(title="Kok", valid_until="2025-01-01")
    withdrawn = catalogue_entry(title="Kokkeelev").model_copy(update={"status": "withdrawn"})
    found, total = select_catalogue([cook, expired, withdrawn], CatalogueQuery(q="kok"), dt.date(2026, 6, 1))
    assert found == [cook] and total == 1
    found, total = select_catalogue([cook, expired, withdrawn], CatalogueQuery(open_only=False), dt.date(2026, 6, 1))
    assert total == 3


def _form(**fields: str) -> dict[str, str]:
    base = {
        "name": "Leyla Demir",
        "postcode": "4300",
        "town": "Holbæk",
        "hours": "25",
        "max_commute": "45",
        "bike": "on",
        **{f"consent_{k}": "yes" for k in ("ordinary_job", "language_placement", "education_step")},
        "consent_association_activity": "no",
    }
    return {**base, **fields}


def test_the_weekly_grid_becomes_class_times_and_commitments() -> None:
    form = _form(**{"slot-tue-morning": "class", "slot-fri-evening": "busy", "job1_title": "kok", "job1_uri": ""})
    profile, errors = validate(profile_payload({**form, "_licences": ["B", "Z"]}, "316"))
    assert errors == {} and profile is not None
    assert [(s.day, s.start.hour, s.end.hour) for s in profile.danish.class_times] == [("tue", 8, 12)]
    assert [(s.day, s.start.hour) for s in profile.availability.unavailable] == [("fri", 16)]
    assert profile.transport.driving_licences == ["B"] and profile.transport.bike and not profile.transport.car
    assert profile.consent.association_activity is False
    assert profile.previous_jobs[0].title == "kok"


def test_errors_are_named_by_the_form_field_they_belong_to() -> None:
    form = _form(name="", postcode="43", hours="many")
    del form["consent_ordinary_job"]
    _, errors = validate(profile_payload(form, "316"))
    assert errors["name"] == "string_too_short"
    assert errors["postcode"] == "postcode"
    assert errors["hours"] == "float_parsing"
    assert errors["consent_ordinary_job"] == "missing"
    assert field_of(("skills", 1, "text")) == "skill2"
    assert field_of(("danish_tests", 0, "date")) == "test1_date"


def test_hours_typed_with_a_danish_decimal_comma_are_read_as_a_number() -> None:
    profile, errors = validate(profile_payload(_form(hours="37,5"), "316"))
    assert errors == {} and profile is not None and profile.availability.hours_per_week == 37.5
    _, errors = validate(profile_payload(_form(hours="61"), "316"))
    assert errors["hours"] == "less_than_equal"
