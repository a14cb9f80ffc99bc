"""The citizen profile a caseworker registers at intake (competence clarification)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, model_validator

from shared.contracts.common import (
    CefrLevel,
    Certificate,
    Contract,
    DrivingLicence,
    EscoUri,
    GeoPoint,
    LongText,
    MessageLanguage,
    OpportunityKind,
    Postcode,
    Sealed,
    ShortText,
    WeeklySlot,
)

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ]{8,16}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]


class PersonalData(Contract):
    """Everything that identifies or describes the person. Kept in one part so it can be encrypted."""

    name: ShortText = Field(description="Full name.", examples=["Amina Hassan"])
    email: EmailStr | None = Field(default=None, description="E-mail address.", examples=["amina@example.org"])
    phone: Phone | None = Field(default=None, description="Phone number.", examples=["+45 20 30 40 50"])
    home: GeoPoint | None = Field(default=None, description="Home coordinates, for commute distances.")
    caseworker_note: LongText = Field(default="", description="Free text about the citizen. Never a ranking feature.")
    social_control_concern: bool = Field(
        default=False,
        description="A caseworker's concern about negative social control. Never a ranking feature; "
        "turns on the private channel.",
    )


class SealedPersonal(Sealed):
    """The personal part, encrypted with the citizen's own key (crypto-shredding: erasure deletes the key)."""

    ciphertext: str = Field(max_length=64_000, description="Base64 AEAD ciphertext of the PersonalData JSON.")


class DanishCourse(Contract):
    course: Literal["DU1", "DU2", "DU3"] | None = Field(
        default=None, description="Danish course (danskuddannelse).", examples=["DU2"]
    )
    module: int | None = Field(default=None, ge=1, le=6, description="Module 1–6 of the course.", examples=[3])
    level: CefrLevel | None = Field(
        default=None, description="CEFR level of Danish; null if none yet.", examples=["A2"]
    )
    class_times: list[WeeklySlot] = Field(default_factory=list, max_length=14, description="Weekly class times.")


class LanguageSkill(Contract):
    language: LanguageCode = Field(description="ISO 639 code.", examples=["ar"])
    level: CefrLevel | Literal["native"] = Field(description="CEFR level, or native.", examples=["native"])


class EducationEntry(Contract):
    title: ShortText = Field(description="Education, free text in any language.", examples=["Gymnasium (Syria)"])
    level: Literal["none", "primary", "secondary", "vocational", "bachelor", "master", "doctorate"] = Field(
        default="secondary", description="Level, roughly ISCED."
    )
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(default=None, examples=["SY"])


class PreviousJob(Contract):
    title: ShortText = Field(description="Job title, free text in Danish or English.", examples=["rengøringsassistent"])
    esco_occupation: EscoUri | None = Field(default=None, description="ESCO occupation URI, if known.")
    years: float = Field(default=0, ge=0, le=60, description="Years in the job.", examples=[3])


class SkillClaim(Contract):
    text: ShortText | None = Field(default=None, description="Skill in free text.", examples=["kørsel med truck"])
    esco_skill: EscoUri | None = Field(default=None, description="ESCO skill URI, if known.")

    @model_validator(mode="after")
    def _text_or_uri(self) -> SkillClaim:
        if self.text is None and self.esco_skill is None:
            raise ValueError("a skill needs `text` or `esco_skill`")
        return self


class Availability(Contract):
    hours_per_week: float = Field(ge=0, le=60, description="Hours per week the citizen can work.", examples=[25])
    unavailable: list[WeeklySlot] = Field(default_factory=list, max_length=28, description="Other fixed commitments.")


class Transport(Contract):
    driving_licences: list[DrivingLicence] = Field(default_factory=list, description="Driving licence categories held.")
    car: bool = Field(default=False, description="Has a car.")
    bike: bool = Field(default=True, description="Has a bike.")
    public_transport: bool = Field(default=True, description="Can use public transport.")
    max_commute_minutes: int = Field(ge=0, le=180, description="Longest acceptable commute, one way.", examples=[45])


class Consent(Contract):
    """Consent per opportunity kind. Every kind must be answered explicitly."""

    ordinary_job: bool
    language_placement: bool
    education_step: bool
    association_activity: bool

    def allows(self, kind: OpportunityKind) -> bool:
        return bool(getattr(self, kind.value))


class AuditOnly(Contract):
    """Kept only for the fairness audit. Never a ranking feature; never shown to a company or association."""

    gender: Literal["female", "male", "other", "undisclosed"] = "undisclosed"
    origin_group: Literal["eu", "non_western", "western_non_eu", "refugee", "family_reunified", "undisclosed"] = (
        "undisclosed"
    )
    age_band: Literal["18-24", "25-29", "30-39", "40-49", "50-64", "65+", "undisclosed"] = "undisclosed"


class DanishTest(Contract):
    """A Danish test the citizen has taken (integrationsbarometer indicator 3.3 counts the passes)."""

    test: Literal["PD1", "PD2", "PD3", "studieproeve"] = Field(
        description="Prøve i Dansk 1, 2 or 3, or Studieprøven.", examples=["PD2"]
    )
    date: dt.date = Field(description="The day of the test.", examples=["2026-06-12"])
    passed: bool = Field(description="Passed.")


class CitizenProfile(Contract):
    """A citizen's profile as registered at intake."""

    personal: PersonalData | SealedPersonal = Field(
        description="The personal part; the only part that identifies the person. Sealed on every event."
    )
    municipality_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")] = Field(
        default="316", description="Municipality code (Holbæk is 316).", examples=["316"]
    )
    home_postcode: Postcode = Field(description="Home postcode.", examples=["4300"])
    home_town: ShortText = Field(description="Home town.", examples=["Holbæk"])
    danish: DanishCourse = Field(default_factory=DanishCourse)
    other_languages: list[LanguageSkill] = Field(default_factory=list, max_length=20)
    education: list[EducationEntry] = Field(default_factory=list, max_length=20)
    previous_jobs: list[PreviousJob] = Field(default_factory=list, max_length=30)
    skills: list[SkillClaim] = Field(default_factory=list, max_length=100)
    certificates: list[Certificate] = Field(default_factory=list, description="Certificates held.")
    interests: list[ShortText] = Field(
        default_factory=list, max_length=30, description="Leisure interests.", examples=[["fodbold", "syning"]]
    )
    availability: Availability
    transport: Transport
    consent: Consent
    preferred_language: MessageLanguage = Field(
        default="da",
        description="Second language of messages, after Danish: da, en, ar (Arabic) or uk (Ukrainian). "
        "`da`: Danish with English below.",
    )
    preferred_channel: Literal["email", "private"] = Field(
        default="email", description="`private`: only through the caseworker, never a message others might see."
    )
    igu_eligible: bool | None = Field(
        default=None,
        description="The caseworker's judgement that the citizen meets IGU's legal conditions (age, residence "
        "status). Unset: the matcher does not propose IGU placements.",
    )
    hide_associations: bool = Field(default=False, description="Never recommend associations.")
    wants_women_only_activities: bool = Field(default=False, description="Asked for women-only activities.")
    audit: AuditOnly = Field(default_factory=AuditOnly)
    programme_start: dt.date | None = Field(
        default=None, description="When the citizen's integration programme began (for the KPI report)."
    )
    danish_tests: list[DanishTest] = Field(
        default_factory=list, max_length=20, description="Danish tests taken (for the KPI report). Never ranked on."
    )

    def personal_data(self) -> PersonalData:
        """The opened personal part; services open it with the citizen's key before they use it."""
        if not isinstance(self.personal, PersonalData):
            raise ValueError("the personal part is sealed; open it with the citizen's key first")
        return self.personal


class CitizenProfileInput(CitizenProfile):
    """A profile as a caseworker submits it over HTTP: the personal part in plain form."""

    personal: PersonalData = Field(description="The personal part; the only part that identifies the person.")
