"""The intake form: its fields to a profile, and the profile's validation errors back to its fields."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from services.intake.entrypoints.pages.text import number
from shared.contracts import Certificate, CitizenProfile, CitizenProfileInput, WeeklySlot

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS = {"morning": ("08:00", "12:00"), "afternoon": ("12:00", "16:00"), "evening": ("16:00", "20:00")}
KINDS = ("ordinary_job", "language_placement", "education_step", "association_activity")
#: Empty rows a new form offers; an edit form shows the profile's own rows and `MORE` empty ones.
SKILL_FIELDS = 8
JOB_FIELDS = 2
TEST_FIELDS = 2
MORE = 2
#: Rows read back from a posted form at most (the contract's own limits are lower or equal).
MAX_ROWS = 100
TESTS = ("PD1", "PD2", "PD3", "studieproeve")
LICENCES = ("B", "BE", "C", "CE", "D")
CERTIFICATES = tuple(c.value for c in Certificate)
CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")
GENDERS = ("undisclosed", "female", "male", "other")
ORIGINS = ("undisclosed", "refugee", "family_reunified", "eu", "western_non_eu", "non_western")
FLAGS = ("hide_associations", "wants_women_only_activities")
#: The payload's note of which form row each list item came from (taken out before validation).
ROWS = "_rows"

Form = Mapping[str, Any]


def _str(form: Form, key: str) -> str:
    """A text field as posted ("" when missing, or when the key holds a list of ticked boxes)."""
    value = form.get(key, "")
    return value if isinstance(value, str) else ""


def _opt(form: Form, key: str) -> str | None:
    return _str(form, key).strip() or None


def _decimal(form: Form, key: str) -> str | None:
    """A number as a Danish caseworker types it: '37,5' is 37.5."""
    value = _opt(form, key)
    return value.replace(",", ".") if value else None


def posted_rows(form: Form, key: str) -> list[int]:
    """The numbers n of the rows the form posted (`key` holds `{n}`, e.g. `skill{n}`)."""
    return [n for n in range(1, MAX_ROWS + 1) if key.format(n=n) in form]


def _uri(form: Form, name: str, uri_name: str, text: str | None) -> str | None:
    """The ESCO URI (field `uri_name`) picked for the text field `name`, unless the text was changed after
    it was picked.

    An edit form carries the text and URI it was filled with (`{name}_was`, `{uri_name}_was`); without
    the autocomplete script nothing clears the URI when the caseworker rewrites the text, and the old
    URI would then link the new words to the old concept."""
    uri = _opt(form, uri_name)
    rewritten = f"{name}_was" in form and (text or "") != (_opt(form, f"{name}_was") or "")
    if uri and rewritten and uri == _opt(form, f"{uri_name}_was"):
        return None
    return uri


def _lines(text: str) -> list[str]:
    """Interests typed one per line or separated by commas, each once."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,\n;]", text):
        part = " ".join(part.split())
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


def _choices(form: Form, key: str, allowed: Sequence[str]) -> list[str]:
    given = form.get(key, [])
    return [x for x in allowed if x in given]


def profile_payload(form: Form, municipality: str, base: CitizenProfile | None = None) -> dict[str, Any]:
    """The profile the form describes, as the API's JSON would be (validated by the caller).

    `base` is the stored profile an edit form was filled from: what the form has no field for (home
    coordinates, languages, education, the age band) is kept from it, so saving a form loses nothing."""
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
    for code in form.get("_kept_slots", []):
        kept = parse_kept_slot(code)
        if kept is not None:
            choice, slot = kept
            target = classes if choice == "class" else busy
            if slot not in target:
                target.append(slot)
    rows: dict[str, list[int]] = {"previous_jobs": [], "skills": [], "danish_tests": []}
    jobs: list[dict[str, Any]] = []
    for n in posted_rows(form, "job{n}_title"):
        title = _opt(form, f"job{n}_title")
        if title:
            job: dict[str, Any] = {"title": title, "years": _decimal(form, f"job{n}_years") or 0}
            uri = _uri(form, f"job{n}_title", f"job{n}_uri", title)
            if uri:
                job["esco_occupation"] = uri
            jobs.append(job)
            rows["previous_jobs"].append(n)
    skills: list[dict[str, Any]] = []
    for n in posted_rows(form, "skill{n}"):
        text = _opt(form, f"skill{n}")
        uri = _uri(form, f"skill{n}", f"skill{n}_uri", text)
        if text and text == uri:  # a claim made by URI alone is shown by its URI
            text = None
        if text or uri:
            skills.append({k: v for k, v in (("text", text), ("esco_skill", uri)) if v})
            rows["skills"].append(n)
    rows["danish_tests"] = [n for n in posted_rows(form, "test{n}") if form.get(f"test{n}") in TESTS]
    tests = [
        {"test": form[f"test{n}"], "date": form.get(f"test{n}_date", ""), "passed": form.get(f"test{n}_passed") == "on"}
        for n in rows["danish_tests"]
    ]
    consent = {k: form[f"consent_{k}"] == "yes" for k in KINDS if form.get(f"consent_{k}") in ("yes", "no")}
    old = base.model_dump(mode="json", exclude_none=True) if base is not None else {}
    # The stored personal part (its home point) with the form's fields over it; an emptied e-mail or phone goes.
    personal: dict[str, Any] = {k: v for k, v in old.get("personal", {}).items() if k not in ("email", "phone")}
    personal.update({k: v for k in ("email", "phone") if (v := _opt(form, k)) is not None})
    personal["name"] = _opt(form, "name") or ""
    personal["caseworker_note"] = _str(form, "caseworker_note")
    personal["social_control_concern"] = form.get("social_control_concern") == "on"
    return {
        **old,
        "personal": personal,
        "municipality_code": municipality,
        "home_postcode": _str(form, "postcode").strip(),
        "home_town": _str(form, "town").strip(),
        "danish": {
            "course": _opt(form, "course"),
            "module": _opt(form, "module"),
            "level": _opt(form, "level"),
            "class_times": classes,
        },
        "previous_jobs": jobs,
        "skills": skills,
        "certificates": _choices(form, "_certificates", CERTIFICATES),
        "interests": _lines(_str(form, "interests")),
        "availability": {"hours_per_week": _decimal(form, "hours"), "unavailable": busy},
        "transport": {
            "driving_licences": _choices(form, "_licences", LICENCES),
            "car": form.get("car") == "on",
            "bike": form.get("bike") == "on",
            "public_transport": form.get("public_transport") == "on",
            "max_commute_minutes": _opt(form, "max_commute"),
        },
        "consent": consent,
        "preferred_language": form.get("preferred_language", "da"),
        "preferred_channel": form.get("channel", "email"),
        "igu_eligible": {"yes": True, "no": False}.get(_str(form, "igu_eligible")),
        **{flag: form.get(flag) == "on" for flag in FLAGS},
        "programme_start": _opt(form, "programme_start"),
        "danish_tests": tests,
        ROWS: rows,
        "audit": {
            **old.get("audit", {}),
            "gender": form.get("gender", "undisclosed"),
            "origin_group": form.get("origin_group", "undisclosed"),
        },
    }


_KEPT = re.compile(r"^(class|busy):(mon|tue|wed|thu|fri|sat|sun):([0-2][0-9]:[0-5][0-9]):([0-2][0-9]:[0-5][0-9])$")


def kept_slot(choice: str, slot: WeeklySlot) -> str:
    """A stored time that is not one of the grid's cells, as the edit form carries it: `busy:mon:14:30:16:30`."""
    return f"{choice}:{slot.day}:{slot.start.strftime('%H:%M')}:{slot.end.strftime('%H:%M')}"


def parse_kept_slot(code: str) -> tuple[str, dict[str, str]] | None:
    match = _KEPT.match(code)
    if match is None:
        return None
    choice, day, start, end = match.groups()
    return choice, {"day": day, "start": start, "end": end}


def _cell_of(slot: WeeklySlot) -> str | None:
    """The grid cell that is exactly this slot, if any (the grid has three parts a day)."""
    hours = (slot.start.strftime("%H:%M"), slot.end.strftime("%H:%M"))
    return next((part for part, span in PARTS.items() if span == hours), None)


def form_values(profile: CitizenProfile) -> dict[str, Any]:
    """An edit form's fields, filled from a stored profile (its personal part opened): the inverse of
    `profile_payload`. Each ESCO URI is carried with the text it belongs to (see `_uri`)."""
    personal = profile.personal_data()
    v: dict[str, Any] = {
        "name": personal.name,
        "email": personal.email or "",
        "phone": personal.phone or "",
        "caseworker_note": personal.caseworker_note,
        "postcode": profile.home_postcode,
        "town": profile.home_town,
        "course": profile.danish.course or "",
        "module": str(profile.danish.module or ""),
        "level": profile.danish.level or "",
        "hours": number(profile.availability.hours_per_week, "da"),
        "max_commute": str(profile.transport.max_commute_minutes),
        "_licences": list(profile.transport.driving_licences),
        "_certificates": [c.value for c in profile.certificates],
        "interests": "\n".join(profile.interests),
        "preferred_language": profile.preferred_language,
        "channel": profile.preferred_channel,
        "igu_eligible": {True: "yes", False: "no", None: ""}[profile.igu_eligible],
        "programme_start": profile.programme_start.isoformat() if profile.programme_start else "",
        "gender": profile.audit.gender,
        "origin_group": profile.audit.origin_group,
    }
    for flag in ("car", "bike", "public_transport"):
        v[flag] = "on" if getattr(profile.transport, flag) else ""
    for flag in FLAGS:
        v[flag] = "on" if getattr(profile, flag) else ""
    v["social_control_concern"] = "on" if personal.social_control_concern else ""
    for kind in KINDS:
        v[f"consent_{kind}"] = "yes" if getattr(profile.consent, kind) else "no"
    # A time that is exactly a grid cell is shown in the grid; any other (Tuesday 9:00–11:30) is kept as it
    # is, listed under the grid with a box to drop it: drawn into the grid it would grow to whole cells.
    v["_kept_slots"] = []
    for choice, slots in (("class", profile.danish.class_times), ("busy", profile.availability.unavailable)):
        for slot in slots:
            cell = _cell_of(slot)
            if cell is None:
                v["_kept_slots"].append(kept_slot(choice, slot))
            else:
                v[f"slot-{slot.day}-{cell}"] = choice
    v["_slot_options"] = list(v["_kept_slots"])
    for n, job in enumerate(profile.previous_jobs, 1):
        v[f"job{n}_title"] = v[f"job{n}_title_was"] = job.title
        v[f"job{n}_years"] = number(job.years, "da") if job.years else ""
        v[f"job{n}_uri"] = v[f"job{n}_uri_was"] = job.esco_occupation or ""
    for n, claim in enumerate(profile.skills, 1):
        v[f"skill{n}"] = v[f"skill{n}_was"] = claim.text or claim.esco_skill or ""
        v[f"skill{n}_uri"] = v[f"skill{n}_uri_was"] = claim.esco_skill or ""
    for n, test in enumerate(profile.danish_tests, 1):
        v[f"test{n}"] = test.test
        v[f"test{n}_date"] = test.date.isoformat()
        v[f"test{n}_passed"] = "on" if test.passed else ""
    return v


def row_counts(profile: CitizenProfile | None) -> dict[str, int]:
    """How many rows of each repeated field a form shows: the profile's own and a few empty ones."""
    if profile is None:
        return {"jobs": JOB_FIELDS, "skills": SKILL_FIELDS, "tests": TEST_FIELDS}
    return {
        "jobs": max(JOB_FIELDS, len(profile.previous_jobs) + MORE),
        "skills": max(SKILL_FIELDS, len(profile.skills) + MORE),
        "tests": max(TEST_FIELDS, len(profile.danish_tests) + 1),
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
    ("personal", "caseworker_note"): "caseworker_note",
    ("interests",): "interests",
    ("availability", "hours_per_week"): "hours",
    ("transport", "max_commute_minutes"): "max_commute",
    ("preferred_language",): "preferred_language",
    ("preferred_channel",): "channel",
    ("programme_start",): "programme_start",
    ("certificates",): "certificates",
    ("igu_eligible",): "igu_eligible",
}


def field_of(loc: tuple[int | str, ...], rows: Mapping[str, Sequence[int]] | None = None) -> str:
    """The form field a validation error belongs to (`form` when it belongs to no one field).

    `rows` says which form row each list item came from (empty rows are skipped, so item 0 may be row 2)."""
    parts = tuple(str(p) for p in loc)

    def row(kind: str) -> int:
        index = int(parts[1])
        numbers = (rows or {}).get(kind, [])
        return numbers[index] if index < len(numbers) else index + 1

    if parts[:1] == ("consent",) and len(parts) > 1:
        return f"consent_{parts[1]}"
    if parts[:1] == ("danish_tests",) and len(parts) > 1:
        return f"test{row('danish_tests')}_date"
    if parts[:1] == ("skills",) and len(parts) > 1:
        return f"skill{row('skills')}"
    if parts[:1] == ("previous_jobs",) and len(parts) > 1:
        return f"job{row('previous_jobs')}_{'years' if parts[2:3] == ('years',) else 'title'}"
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
    payload = dict(payload)
    rows = payload.pop(ROWS, None)
    try:
        return CitizenProfileInput.model_validate(payload), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = field_of(tuple(error["loc"]), rows)
            errors.setdefault(field, _kind(error, field))
        return None, errors
