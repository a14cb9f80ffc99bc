"""The intake form as an edit form: a stored profile filled into the fields and read back loses nothing."""

from __future__ import annotations

from typing import Any

from services.intake.entrypoints.pages.forms import form_values, profile_payload, row_counts, validate
from shared.contracts import CitizenProfile, CitizenProfileInput
from tests.samples import profile_payload as sample

CLEANER = "http://data.europa.eu/esco/occupation/cleaner"
FLOORS = "http://data.europa.eu/esco/skill/clean-floors"
ROAD = "http://data.europa.eu/esco/skill/road-traffic-laws"


def rich() -> CitizenProfileInput:
    """A profile with every part the form shows, and parts it does not (home point, languages, education)."""
    return CitizenProfileInput.model_validate(
        sample(
            personal={
                "name": "Hodan Warsame",
                "email": "hodan@example.org",
                "phone": "+45 20 30 40 50",
                "home": {"lat": 55.7105, "lon": 11.705},
                "caseworker_note": "Vil gerne arbejde om morgenen.\nHar to børn.",
                "social_control_concern": True,
            },
            danish={
                "course": "DU1",
                "module": 2,
                "level": "A1",
                "class_times": [
                    {"day": "mon", "start": "08:30", "end": "11:45"},
                    {"day": "wed", "start": "08:00", "end": "12:00"},
                ],
            },
            other_languages=[{"language": "so", "level": "native"}, {"language": "ar", "level": "A2"}],
            education=[{"title": "Grundskole (Somalia)", "level": "primary", "country": "SO"}],
            previous_jobs=[
                {"title": "rengøringsassistent", "years": 4, "esco_occupation": CLEANER},
                {"title": "opvasker", "years": 1.5},
                {"title": "syerske", "years": 0},
            ],
            skills=[
                {"text": "hotelrengøring"},
                {"text": "gulvvask", "esco_skill": FLOORS},
                {"esco_skill": ROAD},
                *({"text": f"kompetence {n}"} for n in range(4, 11)),
            ],
            certificates=["cleaning_basics", "first_aid"],
            interests=["syning", "gåture"],
            availability={
                "hours_per_week": 27.5,
                "unavailable": [
                    {"day": "tue", "start": "14:30", "end": "16:30"},
                    {"day": "fri", "start": "16:00", "end": "20:00"},
                ],
            },
            transport={
                "driving_licences": ["B"],
                "car": False,
                "bike": True,
                "public_transport": True,
                "max_commute_minutes": 45,
            },
            preferred_language="en",
            preferred_channel="private",
            igu_eligible=False,
            wants_women_only_activities=True,
            programme_start="2024-02-01",
            danish_tests=[
                {"test": "PD1", "date": "2025-06-01", "passed": False},
                {"test": "PD1", "date": "2025-12-01", "passed": True},
                {"test": "PD2", "date": "2026-06-01", "passed": False},
            ],
            audit={"gender": "female", "origin_group": "refugee", "age_band": "30-39"},
        )
    )


def posted(values: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What a browser posts back: ticked boxes as "on", unticked ones left out, lists as lists."""
    form = {k: v for k, v in values.items() if v != ""}
    form.update(changes)
    return form


def _slots(profile: CitizenProfile) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    def key(slots: Any) -> list[tuple[str, str, str]]:
        return sorted((s.day, s.start.isoformat(), s.end.isoformat()) for s in slots)

    return key(profile.danish.class_times), key(profile.availability.unavailable)


def test_a_stored_profile_saved_through_the_form_unchanged_is_the_same_profile() -> None:
    stored = rich()
    again, errors = validate(profile_payload(posted(form_values(stored)), "316", base=stored))
    assert errors == {} and again is not None
    assert _slots(again) == _slots(stored)  # 8:30–11:45 stays as it is, not a whole morning
    assert set(again.certificates) == set(stored.certificates)  # shown as boxes, in the form's order
    apart = {"danish": {"class_times"}, "availability": {"unavailable"}, "certificates": True}
    assert again.model_dump(exclude=apart) == stored.model_dump(exclude=apart)


def test_an_edit_form_shows_every_row_of_the_profile_and_room_for_more() -> None:
    stored = rich()
    assert row_counts(stored) == {"jobs": 5, "skills": 12, "tests": 4}
    assert row_counts(None) == {"jobs": 2, "skills": 8, "tests": 2}
    values = form_values(stored)
    assert values["skill3"] == ROAD and values["skill3_uri"] == ROAD  # a claim by URI alone shows its URI
    assert values["slot-wed-morning"] == "class" and "slot-mon-morning" not in values
    assert values["_kept_slots"] == ["class:mon:08:30:11:45", "busy:tue:14:30:16:30"]
    assert values["hours"] == "27,5" and values["job2_years"] == "1,5"


def test_a_caseworker_raises_the_level_adds_a_certificate_and_drops_a_kept_time() -> None:
    stored = rich()
    values = form_values(stored)
    form = posted(
        values,
        level="A2",
        _certificates=[*values["_certificates"], "forklift"],
        _kept_slots=["busy:tue:14:30:16:30"],  # the Monday class box unticked
        **{"slot-mon-morning": "class"},
    )
    again, errors = validate(profile_payload(form, "316", base=stored))
    assert errors == {} and again is not None
    assert again.danish.level == "A2"
    assert {c.value for c in again.certificates} == {"cleaning_basics", "first_aid", "forklift"}
    assert _slots(again)[0] == [("mon", "08:00:00", "12:00:00"), ("wed", "08:00:00", "12:00:00")]
    assert again.personal_data().home == stored.personal_data().home  # not on the form, kept


def test_a_title_rewritten_without_the_script_loses_its_old_esco_link() -> None:
    stored = rich()
    values = form_values(stored)
    # Without the autocomplete script the hidden URI stays as it was; the new words must not keep it.
    rewritten, _ = validate(profile_payload(posted(values, job1_title="lagerarbejder"), "316", base=stored))
    assert rewritten is not None
    assert rewritten.previous_jobs[0].title == "lagerarbejder" and rewritten.previous_jobs[0].esco_occupation is None
    # The script clears the URI as the text changes and sets the one picked: that one is kept.
    picked = "http://data.europa.eu/esco/occupation/warehouse-worker"
    chosen, _ = validate(
        profile_payload(posted(values, job1_title="lagerarbejder", job1_uri=picked), "316", base=stored)
    )
    assert chosen is not None and chosen.previous_jobs[0].esco_occupation == picked
    # The same with a skill, and an untouched skill keeps its URI.
    edited, _ = validate(profile_payload(posted(values, skill2="vinduespolering"), "316", base=stored))
    assert edited is not None
    assert edited.skills[1].text == "vinduespolering" and edited.skills[1].esco_skill is None
    assert edited.skills[2].esco_skill == ROAD and edited.skills[2].text is None


def test_leisure_and_caseworker_fields_reach_the_profile() -> None:
    form = posted(
        form_values(rich()),
        interests="fodbold, Fodbold\nsyning ;  strikning ",
        igu_eligible="yes",
        hide_associations="on",
        social_control_concern="",
        caseworker_note="Ny aftale om praktik.",
    )
    del form["social_control_concern"]
    again, errors = validate(profile_payload(form, "316", base=rich()))
    assert errors == {} and again is not None
    assert again.interests == ["fodbold", "syning", "strikning"]
    assert again.igu_eligible is True and again.hide_associations is True
    assert again.personal_data().social_control_concern is False
    assert again.personal_data().caseworker_note == "Ny aftale om praktik."


def test_an_error_names_the_row_it_is_in_even_after_an_empty_row() -> None:
    form = posted(
        form_values(rich()),
        job1_title="",
        job2_title="opvasker",
        job2_years="mange",
        skill1="",
        skill1_uri="",
        skill2="x" * 201,
    )
    _, errors = validate(profile_payload(form, "316", base=rich()))
    assert errors["job2_years"] == "float_parsing"
    assert errors["skill2"] == "string_too_long"
