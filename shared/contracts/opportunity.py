"""Opportunities: ordinary jobs, language-at-work placements, education steps, association activities."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, EmailStr, Field, StringConstraints, model_validator

from shared.contracts.common import (
    CefrLevel,
    Certificate,
    Contract,
    DrivingLicence,
    EscoUri,
    GeoPoint,
    LongText,
    OpportunityKind,
    Postcode,
    ShortText,
    WeeklySlot,
)

Cvr = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]


class Owner(Contract):
    """Who offers the opportunity: a company (CVR), an association, or an education provider."""

    type: Literal["company", "association", "education_provider"] = Field(examples=["company"])
    cvr: Cvr | None = Field(default=None, description="CVR number, required for companies.", examples=["12345678"])
    association_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{1,63}$")] | None = Field(
        default=None, description="Association id, required for associations.", examples=["holbaek-if-fodbold"]
    )
    name: ShortText = Field(description="Display name.", examples=["Fjordkøkkenet ApS (demo)"])
    contact_email: EmailStr | None = Field(default=None, examples=["job@example.dk"])
    webhook_url: AnyHttpUrl | None = Field(
        default=None,
        deprecated=True,
        description="Deprecated: read from old events, never delivered to. Owners register a webhook with "
        "`PUT /v1/companies/{cvr}/webhook` (or `/v1/associations/{id}/webhook`).",
    )

    @model_validator(mode="after")
    def _identity_matches_type(self) -> Owner:
        if self.type == "company" and self.cvr is None:
            raise ValueError("a company owner needs `cvr` (8 digits)")
        if self.type == "association" and self.association_id is None:
            raise ValueError("an association owner needs `association_id`")
        return self


class Location(Contract):
    town: ShortText = Field(examples=["Tølløse"])
    postcode: Postcode = Field(examples=["4340"])
    point: GeoPoint


class Schedule(Contract):
    hours_per_week: float = Field(ge=0, le=60, description="Hours per week.", examples=[30])
    slots: list[WeeklySlot] = Field(default_factory=list, max_length=28, description="Fixed weekly times, if any.")


class AssociationDetails(Contract):
    activity_type: Literal["sports", "culture", "volunteering", "parents_network", "womens_network", "other"]
    language_friendly: bool = Field(default=False, description="Welcomes people with little Danish.")
    women_only: bool = Field(default=False, description="Only for women.")


class EducationDetails(Contract):
    education_type: Literal["AMU", "EUD", "VUC", "FVU", "certificate", "driving_licence"]
    grants_certificates: list[Certificate] = Field(default_factory=list)
    grants_driving_licence: DrivingLicence | None = None
    teaches_skills: list[EscoUri] = Field(default_factory=list, max_length=100, description="ESCO skills taught.")
    teaches_skill_texts: list[ShortText] = Field(
        default_factory=list, max_length=100, description="Skills taught, free text."
    )


class Opportunity(Contract):
    """Something a citizen can be matched to."""

    kind: OpportunityKind
    owner: Owner
    municipality_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")] = Field(default="316")
    title: ShortText = Field(description="Title in Danish or English.", examples=["Køkkenmedhjælper"])
    description: LongText = Field(default="")
    occupation_text: ShortText | None = Field(default=None, description="Occupation in free text.")
    esco_occupation: EscoUri | None = Field(default=None, description="ESCO occupation URI.")
    skills: list[ShortText] = Field(default_factory=list, max_length=100, description="Skills asked for, free text.")
    esco_skills: list[EscoUri] = Field(default_factory=list, max_length=200, description="ESCO skills asked for.")
    location: Location
    schedule: Schedule
    min_danish_level: CefrLevel | None = Field(default=None, description="Lowest Danish level the place can work with.")
    danish_mentor: bool = Field(default=False, description="A Danish language mentor is offered.")
    required_certificates: list[Certificate] = Field(default_factory=list)
    required_driving_licence: DrivingLicence | None = None
    capacity: int = Field(default=1, ge=1, le=500, description="Free places.")
    placement_type: Literal["sprogpraktik", "virksomhedspraktik", "igu", "loentilskud"] | None = Field(
        default=None, description="Instrument, for language-at-work placements."
    )
    education: EducationDetails | None = Field(default=None, description="Required for education steps.")
    association: AssociationDetails | None = Field(default=None, description="Required for association activities.")
    valid_until: dt.date | None = None

    @model_validator(mode="after")
    def _kind_specific_parts(self) -> Opportunity:
        if self.kind == OpportunityKind.LANGUAGE_PLACEMENT and self.placement_type is None:
            raise ValueError("a language_placement needs `placement_type`")
        if self.kind == OpportunityKind.EDUCATION_STEP and self.education is None:
            raise ValueError("an education_step needs `education`")
        if self.kind == OpportunityKind.ASSOCIATION_ACTIVITY:
            if self.association is None:
                raise ValueError("an association_activity needs `association`")
            if self.owner.type != "association":
                raise ValueError("an association_activity must be owned by an association")
        return self
