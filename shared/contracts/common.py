"""Value types shared by the profile and opportunity contracts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

#: Every schedule in the contracts is wall-clock time in this zone.
TIMEZONE = "Europe/Copenhagen"

# No control characters (NUL, escape sequences, …): they break logs, e-mails and other systems.
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=4000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
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

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Contract(BaseModel):
    """Base of every contract part: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class OpportunityKind(StrEnum):
    ORDINARY_JOB = "ordinary_job"
    LANGUAGE_PLACEMENT = "language_placement"
    EDUCATION_STEP = "education_step"
    ASSOCIATION_ACTIVITY = "association_activity"


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
