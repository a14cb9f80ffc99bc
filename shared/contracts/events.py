"""Versioned events. Each carries `event_id`, `occurred_at`, `schema_version` and `correlation_id`.

A contract changes only by adding optional fields; a breaking change is a new event type.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from shared.contracts.common import (
    CefrLevel,
    Contract,
    EscoUri,
    LifecycleAction,
    MessageLanguage,
    OpportunityKind,
    Sealed,
)
from shared.contracts.opportunity import Opportunity
from shared.contracts.profile import CitizenProfile

#: Namespace for ids derived from other ids (proposal ids, match-proposed event ids, idempotency).
ID_NAMESPACE = uuid.UUID("6f1e3c52-8a59-4d0e-9b1c-3f5a7f0d2b10")


def _escaped(part: object) -> str:
    return str(part).replace("\\", "\\\\").replace("|", "\\|")


def derive_id(*parts: object) -> uuid.UUID:
    """A deterministic UUID from its parts: the same inputs give the same id after any crash.

    Each part is escaped before the parts are joined, so different parts never give one string
    (`("a|b", "c")` and `("a", "b|c")` differ). Parts without `|` or `\\` give the ids they always gave.
    """
    return uuid.uuid5(ID_NAMESPACE, "|".join(_escaped(p) for p in parts))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Event(Contract):
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique id of this event.")
    occurred_at: AwareDatetime = Field(default_factory=_now, description="When it happened (timezone-aware).")
    schema_version: int = Field(default=1, ge=1, description="Version of this event's schema.")
    correlation_id: str = Field(
        max_length=100,
        description="Id of the request that caused this, carried through every event it causes.",
        examples=["req-7d3f2a"],
    )


class CitizenProfileSubmitted(Event):
    """A caseworker registered a new citizen. Triggers matching at once."""

    event_type: Literal["CitizenProfileSubmitted"] = "CitizenProfileSubmitted"
    citizen_id: uuid.UUID = Field(description="Pseudonymous id minted by intake.")
    profile: CitizenProfile


class CitizenProfileUpdated(Event):
    """The citizen's profile changed; it replaces the previous one."""

    event_type: Literal["CitizenProfileUpdated"] = "CitizenProfileUpdated"
    citizen_id: uuid.UUID
    profile: CitizenProfile


class CitizenErased(Event):
    """The citizen asked to be forgotten; every service removes what it holds."""

    event_type: Literal["CitizenErased"] = "CitizenErased"
    citizen_id: uuid.UUID


class MatchRequested(Event):
    """Somebody asked for a fresh ranking for a citizen."""

    event_type: Literal["MatchRequested"] = "MatchRequested"
    citizen_id: uuid.UUID
    top_n: int = Field(default=10, ge=1, le=50, description="How many proposals to return.")


class ProposalDeclined(Event):
    """A proposal will not go ahead (the citizen said no, or a caseworker overrode it): its place is free again."""

    event_type: Literal["ProposalDeclined"] = "ProposalDeclined"
    citizen_id: uuid.UUID
    proposal_id: uuid.UUID
    opportunity_id: uuid.UUID
    by_role: Literal["caseworker", "citizen", "admin"]


class EmploymentFollowUpRecorded(Event):
    """A caseworker's follow-up 3, 6 or 12 months after a job started: is the citizen still employed?

    The lifecycle's `ended` alone cannot say who is still in work, so lasting employment is recorded here.
    """

    event_type: Literal["EmploymentFollowUpRecorded"] = "EmploymentFollowUpRecorded"
    citizen_id: uuid.UUID
    proposal_id: uuid.UUID | None = Field(default=None, description="The proposal that led to the job, if any.")
    started_on: dt.date = Field(description="The day the job started.")
    months: Literal[3, 6, 12] = Field(description="Months after the start.")
    employed: bool = Field(description="Still in work (with this or another employer).")
    recorded_by: str = Field(max_length=100, description="The caseworker's token subject (an id).")


class OpportunityRegistered(Event):
    event_type: Literal["OpportunityRegistered"] = "OpportunityRegistered"
    opportunity_id: uuid.UUID
    opportunity: Opportunity


class OpportunityUpdated(Event):
    event_type: Literal["OpportunityUpdated"] = "OpportunityUpdated"
    opportunity_id: uuid.UUID
    opportunity: Opportunity


class OpportunityWithdrawn(Event):
    event_type: Literal["OpportunityWithdrawn"] = "OpportunityWithdrawn"
    opportunity_id: uuid.UUID
    reason: str = Field(default="", max_length=500)


class SkillReason(Contract):
    """One skill named in a reason, and how we know it."""

    provenance: Literal["stated", "inferred", "missing"] = Field(
        description="`stated`: the citizen said so (in `words`), or holds a certificate that shows it (`words` is "
        "the certificate's Danish name); `inferred`: likely from a previous "
        "occupation (`from_occupation`); `missing`: the opportunity needs it and nothing the citizen "
        "stated or did covers it."
    )
    words: str = Field(default="", max_length=200, description="The citizen's own words, for a stated skill.")
    label_en: str = Field(default="", max_length=300, description="The ESCO label (English).")
    label_da: str = Field(
        default="", max_length=300, description="The Danish label (ESCO's or the reviewed glossary's); empty when none."
    )
    uri: EscoUri | None = None
    from_occupation: str = Field(default="", max_length=200, description="The previous job it is inferred from.")


FlagCode = Literal["hours_overlap", "hours_exceed", "commute_from_postcode"]


class Reasons(Contract):
    """Why an opportunity was proposed, as data and as one plain sentence in Danish and English."""

    matched_skills: list[str] = Field(
        default_factory=list,
        description="Skills the citizen stated (in their own words) that it asks for; for an association, the "
        "citizen's interests it matches. Never a job title: see `matched_previous_jobs`.",
    )
    matched_previous_jobs: list[str] = Field(
        default_factory=list,
        description="The citizen's previous jobs (their own words) that are like this one: work done before, "
        "not a skill. Empty in rankings made before this field existed, where such a title sat in `matched_skills`.",
        examples=[["rengøringsassistent"]],
    )
    attitudes: list[str] = Field(
        default_factory=list,
        description="The citizen's personal qualities in their own words (ESCO transversal skills and "
        "attitudes such as 'selvstændig' or 'godt humør'), for the caseworker; weighted lightly in ranking.",
        examples=[["selvstændig", "godt humør"]],
    )
    missing_skills: list[str] = Field(default_factory=list, description="Essential skills or certificates missing.")
    matched_skill_uris: list[EscoUri] = Field(default_factory=list)
    missing_skill_uris: list[EscoUri] = Field(default_factory=list)
    commute_km: float | None = Field(default=None, ge=0)
    commute_minutes: float | None = Field(default=None, ge=0)
    commute_mode: Literal["walk", "bike", "public_transport", "car"] | None = None
    danish_level: CefrLevel | None = None
    required_danish_level: CefrLevel | None = None
    danish_mentor: bool = False
    hours_fit: bool = True
    rule: str = Field(description="Which rule or strategy placed it.", examples=["ordinary_employment_first"])
    closes_gap_for: list[uuid.UUID] = Field(
        default_factory=list, description="Near-miss jobs this education step opens."
    )
    text_da: str = Field(description="One plain sentence in Danish.")
    text_en: str = Field(description="One plain sentence in English.")
    skills: list[SkillReason] = Field(
        default_factory=list,
        description="The skills behind the reason, each stated, inferred or missing (never two of them).",
    )
    flags: list[FlagCode] = Field(
        default_factory=list,
        description="Visible doubts that ranked it down: a small overlap with the citizen's other fixed "
        "commitments, more weekly hours than the citizen can work, or a commute estimated from the postcode.",
    )
    same_time_as: list[uuid.UUID] = Field(
        default_factory=list,
        description="Opportunities ranked above it in the same ranking that take place at the same time: the "
        "citizen cannot do both. Never between two jobs or placements, which are alternatives anyway.",
    )
    schedule_da: str = Field(default="", description="One line on the working hours against the citizen's time.")
    schedule_en: str = Field(default="", description="The same line in English.")


class KindNote(Contract):
    """Why a kind of opportunity has no proposal, and what would open the most of them."""

    kind: OpportunityKind
    text_da: str
    text_en: str
    opener_id: uuid.UUID | None = Field(default=None, description="The education step or placement named.")


class NearMiss(Contract):
    """A relevant opportunity a hard rule excluded, and what would open it. For the caseworker only."""

    opportunity_id: uuid.UUID
    kind: OpportunityKind
    title: str
    owner_name: str
    town: str
    score: float
    rule: str = Field(description="The hard rule that excluded it.", examples=["collides_with_danish_class"])
    rules: list[str] = Field(
        default_factory=list,
        description="Every hard rule it breaks, `rule` first; the text names what each needs (empty in "
        "rankings made before this field existed).",
        examples=[["danish_level", "collides_with_danish_class"]],
    )
    text_da: str = Field(description="What excluded it and what would open it, in Danish.")
    text_en: str = Field(description="The same in English.")


class Proposal(Contract):
    proposal_id: uuid.UUID = Field(description="Derived from the triggering event and the opportunity.")
    opportunity_id: uuid.UUID
    kind: OpportunityKind
    title: str
    owner_name: str
    town: str
    score: float
    rank: int = Field(ge=1)
    reasons: Reasons


class MatchProposed(Event):
    """The matcher ranked opportunities for a citizen. Its id is derived from the triggering event."""

    event_type: Literal["MatchProposed"] = "MatchProposed"
    citizen_id: uuid.UUID
    trigger_event_id: uuid.UUID
    catalogue_size: int = Field(ge=0)
    proposals: list[Proposal]
    associations: list[Proposal] = Field(default_factory=list, description="Association activities, a list of its own.")
    preferred_language: MessageLanguage = "da"
    notes: list[KindNote] = Field(
        default_factory=list, description="Per kind with no proposal: nothing fits well yet, and what would help."
    )
    near_misses: list[NearMiss] = Field(
        default_factory=list,
        description='The best few a hard rule excluded ("why not"). For the caseworker only: never sent to the '
        "citizen or an owner.",
    )


class NotificationSent(Event):
    event_type: Literal["NotificationSent"] = "NotificationSent"
    citizen_id: uuid.UUID
    match_event_id: uuid.UUID
    channel: Literal["email", "webhook"]
    message_id: str
    proposal_ids: list[uuid.UUID]


class SealedCitizenEvent(Event):
    """An event about a citizen whose whole content is sealed with the citizen's key.

    Only what routing and de-duplication need stays readable: the pseudonymous `citizen_id` and the
    event's metadata. `sealed` holds the JSON of the event named in the type (same `event_id`); the
    key's AEAD binds it to this type, citizen and event id, so it cannot be moved onto another.
    """

    citizen_id: uuid.UUID = Field(description="Pseudonymous id: the only readable thing about the person.")
    sealed: Sealed


class SealedCitizenProfileSubmitted(SealedCitizenEvent):
    """`CitizenProfileSubmitted`, sealed: the whole profile, not only its personal part."""

    event_type: Literal["SealedCitizenProfileSubmitted"] = "SealedCitizenProfileSubmitted"


class SealedCitizenProfileUpdated(SealedCitizenEvent):
    """`CitizenProfileUpdated`, sealed."""

    event_type: Literal["SealedCitizenProfileUpdated"] = "SealedCitizenProfileUpdated"


class SealedProposalDeclined(SealedCitizenEvent):
    """`ProposalDeclined`, sealed: which opportunity a citizen was proposed says something about them."""

    event_type: Literal["SealedProposalDeclined"] = "SealedProposalDeclined"


class SealedMatchProposed(SealedCitizenEvent):
    """`MatchProposed`, sealed: the proposals with their reasons (and every field a later version adds)."""

    event_type: Literal["SealedMatchProposed"] = "SealedMatchProposed"


class SealedEmploymentFollowUpRecorded(SealedCitizenEvent):
    """`EmploymentFollowUpRecorded`, sealed: whether someone is still in work is about them."""

    event_type: Literal["SealedEmploymentFollowUpRecorded"] = "SealedEmploymentFollowUpRecorded"


class AuditRecorded(Event):
    """Who did what to which citizen's data, when and why. Append-only; never edited or deleted."""

    event_type: Literal["AuditRecorded"] = "AuditRecorded"
    actor_role: Literal["caseworker", "company", "association", "citizen", "admin", "system"]
    actor_id: str = Field(max_length=100, description="The token's subject (an id, never a name).")
    action: Literal["read", "export", "erase", "update", "withdraw_consent"] | LifecycleAction = Field(
        description="What was done; the lifecycle's steps are recorded under their own names."
    )
    citizen_id: uuid.UUID | None = None
    resource: str = Field(max_length=200, description="What was touched, e.g. `proposals` or a proposal id.")
    reason: str = Field(default="", max_length=1000, description="Why; required for overrides.")
    sealed_reason: Sealed | None = Field(
        default=None,
        description="The reason, sealed with the citizen's key when the entry is about a citizen (`reason` is "
        "then empty): free text about a person becomes unreadable when they are erased.",
    )


class DeadLetter(Event):
    """A message that could not be processed, with the reason. Holds no personal data beyond ids."""

    event_type: Literal["DeadLetter"] = "DeadLetter"
    service: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: str | None
    reason: str = Field(max_length=2000)
    payload_size: int = Field(ge=0)


# Imported here (not at the top) because the lifecycle module builds on `Event` and `Proposal` above.
from shared.contracts.lifecycle import (  # noqa: E402
    ConsentWithdrawn,
    ProposalTransitioned,
    SealedConsentWithdrawn,
    SealedProposalTransitioned,
)
from shared.contracts.messages import DeliveryFailed, OwnerWebhookRegistered  # noqa: E402

CitizenEvent = Annotated[
    CitizenProfileSubmitted
    | CitizenProfileUpdated
    | CitizenErased
    | MatchRequested
    | ProposalDeclined
    | SealedCitizenProfileSubmitted
    | SealedCitizenProfileUpdated
    | SealedProposalDeclined
    | ProposalTransitioned
    | ConsentWithdrawn
    | SealedProposalTransitioned
    | SealedConsentWithdrawn
    | EmploymentFollowUpRecorded
    | SealedEmploymentFollowUpRecorded,
    Field(discriminator="event_type"),
]
OpportunityEvent = Annotated[
    OpportunityRegistered | OpportunityUpdated | OpportunityWithdrawn,
    Field(discriminator="event_type"),
]
ProposalEvent = Annotated[MatchProposed | SealedMatchProposed, Field(discriminator="event_type")]

#: Which sealed type carries which event: the old types stay readable; new events are written sealed.
SEALED_TYPES: dict[type[Event], type[SealedCitizenEvent]] = {
    CitizenProfileSubmitted: SealedCitizenProfileSubmitted,
    CitizenProfileUpdated: SealedCitizenProfileUpdated,
    ProposalDeclined: SealedProposalDeclined,
    MatchProposed: SealedMatchProposed,
    ProposalTransitioned: SealedProposalTransitioned,
    ConsentWithdrawn: SealedConsentWithdrawn,
    EmploymentFollowUpRecorded: SealedEmploymentFollowUpRecorded,
}
OPENED_TYPES: dict[type[SealedCitizenEvent], type[Event]] = {v: k for k, v in SEALED_TYPES.items()}
NotificationEvent = Annotated[NotificationSent | DeliveryFailed, Field(discriminator="event_type")]
OwnerEvent = Annotated[OwnerWebhookRegistered, Field(discriminator="event_type")]

citizen_event_adapter: TypeAdapter[CitizenEvent] = TypeAdapter(CitizenEvent)
opportunity_event_adapter: TypeAdapter[OpportunityEvent] = TypeAdapter(OpportunityEvent)
proposal_event_adapter: TypeAdapter[ProposalEvent] = TypeAdapter(ProposalEvent)

ALL_EVENTS: tuple[type[Event], ...] = (
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    CitizenErased,
    MatchRequested,
    ProposalDeclined,
    ProposalTransitioned,
    ConsentWithdrawn,
    EmploymentFollowUpRecorded,
    SealedEmploymentFollowUpRecorded,
    SealedProposalTransitioned,
    SealedConsentWithdrawn,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    MatchProposed,
    NotificationSent,
    DeliveryFailed,
    OwnerWebhookRegistered,
    AuditRecorded,
    DeadLetter,
    SealedCitizenProfileSubmitted,
    SealedCitizenProfileUpdated,
    SealedProposalDeclined,
    SealedMatchProposed,
)
