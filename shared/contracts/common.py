"""Value types shared by the profile and opportunity contracts."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

#: Every schedule in the contracts is wall-clock time in this zone.
TIMEZONE = "Europe/Copenhagen"

# Characters no text field accepts. C0/C1 controls break logs, e-mails and other systems; the bidi
# embedding, override and isolate controls and the zero-width spaces can make text read differently from
# what it is ("Jobcentret \u202eHolbæk"). ZWJ and ZWNJ (U+200D, U+200C) stay: Persian, Dari and Kurdish
# names need them; so do the bidi *marks* (LRM, RLM, ALM), which cannot reorder anything on their own.
_INVISIBLE = {0x200B: "ZERO WIDTH SPACE", 0x2060: "WORD JOINER", 0xFEFF: "ZERO WIDTH NO-BREAK SPACE"}
_MULTILINE = frozenset("\t\n\r")


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """A description of the first character text fields refuse, or None when there is none."""
    for ch in text:
        cp = ord(ch)
        if multiline and ch in _MULTILINE:
            continue
        if cp < 0x20 or cp == 0x7F:
            return f"the control character U+{cp:04X}"
        if 0x80 <= cp <= 0x9F:
            return f"the C1 control character U+{cp:04X}"
        if 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
            return f"the bidirectional control U+{cp:04X} ({unicodedata.name(ch)}), which can disguise text"
        if cp in _INVISIBLE:
            return f"the invisible character U+{cp:04X} ({_INVISIBLE[cp]})"
    return None


def clean_text(text: str, *, multiline: bool = False) -> str:
    """NFC-normalised text; ValueError naming the first refused character."""
    text = unicodedata.normalize("NFC", text)
    problem = refused_character(text, multiline=multiline)
    if problem is not None:
        raise ValueError(f"contains {problem}; remove it")
    return text


def _one_line(text: str) -> str:
    return clean_text(text)


def _lines(text: str) -> str:
    return clean_text(text, multiline=True)


ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), AfterValidator(_lines)]
EscoUri = Annotated[
    str,
    StringConstraints(
        pattern=r"^http://data\.europa\.eu/esco/(occupation|skill|isco)/[A-Za-z0-9\-]+$",
        max_length=200,
    ),
]
Postcode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]

#: CEFR levels, lowest first. A citizen with no Danish yet has no level (null).
CefrLevel = Literal["A1", "A2", "B1", "B2", "C1", "C2"]
CEFR_ORDER: tuple[CefrLevel, ...] = ("A1", "A2", "B1", "B2", "C1", "C2")

#: Languages a citizen's messages can be written in; Danish always comes first.
MessageLanguage = Literal["da", "en", "ar", "uk"]
MESSAGE_LANGUAGES: tuple[MessageLanguage, ...] = ("da", "en", "ar", "uk")

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Contract(BaseModel):
    """Base of every contract part: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Sealed(Contract):
    """An event's content, encrypted with the citizen's own key: after erasure nobody can read it."""

    alg: Literal["AES-256-GCM"] = "AES-256-GCM"
    key_id: str = Field(max_length=100, description="Which of the citizen's keys sealed it.")
    nonce: str = Field(max_length=64, description="Base64 nonce.")
    ciphertext: str = Field(max_length=2_000_000, description="Base64 AEAD ciphertext of the sealed JSON.")


class OpportunityKind(StrEnum):
    ORDINARY_JOB = "ordinary_job"
    LANGUAGE_PLACEMENT = "language_placement"
    EDUCATION_STEP = "education_step"
    ASSOCIATION_ACTIVITY = "association_activity"

    @property
    def is_work(self) -> bool:
        """A job or a placement: the citizen takes one, so two at the same time are alternatives."""
        return self in (OpportunityKind.ORDINARY_JOB, OpportunityKind.LANGUAGE_PLACEMENT)


class DrivingLicence(StrEnum):
    B = "B"
    BE = "BE"
    C = "C"
    CE = "CE"
    D = "D"


class Certificate(StrEnum):
    """Certificates that jobs require and education steps grant (Danish names in comments)."""

    FORKLIFT = "forklift"  # truckcertifikat
    HYGIENE = "food_hygiene"  # hygiejnebevis
    FIRST_AID = "first_aid"  # førstehjælp
    CRANE = "crane"  # kranførerbevis
    WORK_AT_HEIGHT = "work_at_height"  # lift/stillads
    SAFETY_CARD = "construction_safety"  # sikkerhedskort
    ADR = "adr"  # farligt gods
    DRIVER_QUALIFICATION = "driver_qualification"  # chaufføruddannelse
    CLEANING = "cleaning_basics"  # erhvervsrengøring
    CARE_ASSISTANT = "care_assistant"  # social- og sundhedshjælper


class GeoPoint(Contract):
    lat: float = Field(ge=54.0, le=58.0, description="Latitude (WGS84), within Denmark.", examples=[55.7158])
    lon: float = Field(ge=7.5, le=15.5, description="Longitude (WGS84), within Denmark.", examples=[11.7128])


class WeeklySlot(Contract):
    """A recurring weekly time window, wall-clock time in Europe/Copenhagen."""

    day: Weekday = Field(description="Day of the week.", examples=["tue"])
    # Wall-clock time without an offset: RFC 3339 `partial-time`, not JSON Schema's `time` (which needs one).
    start: dt.time = Field(
        description="Start, local time (Europe/Copenhagen).",
        examples=["08:30"],
        json_schema_extra={"format": "partial-time"},
    )
    end: dt.time = Field(
        description="End, local time (Europe/Copenhagen).",
        examples=["11:45"],
        json_schema_extra={"format": "partial-time"},
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> WeeklySlot:
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end}) must be after `start` ({self.start})")
        return self

    def overlaps(self, other: WeeklySlot) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end


Timed = tuple[OpportunityKind, Sequence[WeeklySlot]]


def at_same_time(one: Timed, other: Timed) -> bool:
    """Two items (each its kind and weekly slots) the citizen cannot both do: a course and a club on
    the same evenings. Two jobs or placements are alternatives (the citizen takes one), never so."""
    (kind, mine), (their_kind, theirs) = one, other
    if kind.is_work and their_kind.is_work:
        return False
    return any(a.overlaps(b) for a in mine for b in theirs)


def same_time_as(items: Sequence[Timed]) -> list[list[int]]:
    """For each item, the positions of the items above it that take place at the same time."""
    return [[k for k in range(n) if at_same_time(item, items[k])] for n, item in enumerate(items)]


#: A proposal's lifecycle (decided by intake; see `shared.contracts.lifecycle`).
LifecycleState = Literal[
    "proposed",
    "approved",
    "overridden",
    "offered",
    "accepted",
    "declined",
    "expired",
    "shared",
    "interested",
    "not_interested",
    "started",
    "ended",
    "retracted",
]
LifecycleAction = Literal[
    "approve",
    "override",
    "offer",
    "accept",
    "decline",
    "expire",
    "share",
    "interested",
    "not_interested",
    "start",
    "end",
    "retract",
]
