"""The intake form: its fields to a profile, and the profile's validation errors back to its fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from shared.contracts import CitizenProfileInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = {"morning": ("08:00", "12:00"), "afternoon": ("12:00", "16:00"), "evening": ("16:00", "20:00")}
KINDS = ("ordinary_job", "language_placement", "education_step", "association_activity")
SKILL_FIELDS = 3
TEST_FIELDS = 2
TESTS = ("PD1", "PD2", "PD3", "studieproeve")
LICENCES = ("B", "BE", "C", "CE", "D")
CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")
GENDERS = ("undisclosed", "female", "male", "other")
ORIGINS = ("undisclosed", "refugee", "family_reunified", "eu", "western_non_eu", "non_western")

Form = Mapping[str, str]


def _opt(form: Form, key: str) -> str | None:
    value = form.get(key, "").strip()
    return value or None


def _decimal(form: Form, key: str) -> str | None:
    """A number as a Danish caseworker types it: '37,5' is 37.5."""
    value = _opt(form, key)
    return value.replace(",", ".") if value else None


def profile_payload(form: Form, licences: Sequence[str], municipality: str) -> dict[str, Any]:
    """The profile the form describes, as the API's JSON would be (validated by the caller)."""
    classes: list[dict[str, str]] = []
    busy: list[dict[str, str]] = []
    for day in DAYS:
        for part, (start, end) in PARTS.items():
            choice = form.get(f"slot-{day}-{part}", "free")
            slot = {"day": day, "start": start, "end": end}
            if choice == "class":
                classes.append(slot)
            elif choice == "busy":
                busy.append(slot)
    jobs: list[dict[str, Any]] = []
    if _opt(form, "job_title"):
        job: dict[str, Any] = {"title": form["job_title"].strip(), "years": _opt(form, "job_years") or 0}
        if _opt(form, "job_uri"):
            job["esco_occupation"] = form["job_uri"].strip()
        jobs.append(job)
    skills: list[dict[str, Any]] = []
    for n in range(1, SKILL_FIELDS + 1):
        text, uri = _opt(form, f"skill{n}"), _opt(form, f"skill{n}_uri")
        if text or uri:
            skills.append({k: v for k, v in (("text", text), ("esco_skill", uri)) if v})
    tests = [
        {"test": form[f"test{n}"], "date": form.get(f"test{n}_date", ""), "passed": form.get(f"test{n}_passed") == "on"}
        for n in range(1, TEST_FIELDS + 1)
        if form.get(f"test{n}") in TESTS
    ]
    consent = {k: form[f"consent_{k}"] == "yes" for k in KINDS if form.get(f"consent_{k}") in ("yes", "no")}
    personal = {
        k: v
        for k, v in (("name", _opt(form, "name") or ""), ("email", _opt(form, "email")), ("phone", _opt(form, "phone")))
        if v is not None
    }
    return {
        "personal": personal,
        "municipality_code": municipality,
        "home_postcode": form.get("postcode", "").strip(),
        "home_town": form.get("town", "").strip(),
        "danish": {
            "course": _opt(form, "course"),
            "module": _opt(form, "module"),
            "level": _opt(form, "level"),
            "class_times": classes,
        },
        "previous_jobs": jobs,
        "skills": skills,
        "availability": {"hours_per_week": _decimal(form, "hours"), "unavailable": busy},
        "transport": {
            "driving_licences": [x for x in licences if x in LICENCES],
            "car": form.get("car") == "on",
            "bike": form.get("bike") == "on",
            "public_transport": form.get("public_transport") == "on",
            "max_commute_minutes": _opt(form, "max_commute"),
        },
        "consent": consent,
        "preferred_language": form.get("preferred_language", "da"),
        "preferred_channel": form.get("channel", "email"),
        "programme_start": _opt(form, "programme_start"),
        "danish_tests": tests,
        "audit": {"gender": form.get("gender", "undisclosed"), "origin_group": form.get("origin_group", "undisclosed")},
    }


_FIELDS: dict[tuple[str, ...], str] = {
    ("personal", "name"): "name",
    ("personal", "email"): "email",
    ("personal", "phone"): "phone",
    ("home_postcode",): "postcode",
    ("home_town",): "town",
    ("danish", "course"): "course",
    ("danish", "module"): "module",
    ("danish", "level"): "level",
    ("previous_jobs", "0", "title"): "job_title",
    ("previous_jobs", "0", "years"): "job_years",
    ("previous_jobs", "0", "esco_occupation"): "job_title",
    ("availability", "hours_per_week"): "hours",
    ("transport", "max_commute_minutes"): "max_commute",
    ("preferred_language",): "preferred_language",
    ("preferred_channel",): "channel",
    ("programme_start",): "programme_start",
}


def field_of(loc: tuple[int | str, ...]) -> str:
    """The form field a validation error belongs to (`form` when it belongs to no one field)."""
    parts = tuple(str(p) for p in loc)
    if parts[:1] == ("consent",) and len(parts) > 1:
        return f"consent_{parts[1]}"
    if parts[:1] == ("danish_tests",) and len(parts) > 1:
        return f"test{int(parts[1]) + 1}_date"
    if parts[:1] == ("skills",) and len(parts) > 1:
        return f"skill{int(parts[1]) + 1}"
    for size in range(len(parts), 0, -1):
        if parts[:size] in _FIELDS:
            return _FIELDS[parts[:size]]
    return "form"


def _kind(error: Mapping[str, Any], field: str) -> str:
    if field == "email":
        return "email"
    if field == "phone" and error["type"] == "string_pattern_mismatch":
        return "phone"
    if field == "postcode" and error["type"] in ("string_pattern_mismatch", "missing", "string_too_short"):
        return "postcode"
    return str(error["type"])


def validate(payload: dict[str, Any]) -> tuple[CitizenProfileInput | None, dict[str, str]]:
    """The profile, or the first error kind per form field."""
    try:
        return CitizenProfileInput.model_validate(payload), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = field_of(tuple(error["loc"]))
            errors.setdefault(field, _kind(error, field))
        return None, errors
