"""Versioned event contracts (pydantic, frozen)."""

from shared.contracts.common import CefrLevel, Certificate, DrivingLicence, GeoPoint, OpportunityKind, WeeklySlot
from shared.contracts.events import (
    ALL_EVENTS,
    CitizenErased,
    CitizenEvent,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    DeadLetter,
    Event,
    MatchProposed,
    MatchRequested,
    NotificationSent,
    OpportunityEvent,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    Proposal,
    Reasons,
    citizen_event_adapter,
    derive_id,
    opportunity_event_adapter,
)
from shared.contracts.opportunity import Opportunity
from shared.contracts.profile import CitizenProfile

__all__ = [
    "ALL_EVENTS", "CefrLevel", "Certificate", "CitizenErased", "CitizenEvent", "CitizenProfile",
    "CitizenProfileSubmitted", "CitizenProfileUpdated", "DeadLetter", "DrivingLicence", "Event", "GeoPoint",
    "MatchProposed", "MatchRequested", "NotificationSent", "Opportunity", "OpportunityEvent", "OpportunityKind",
    "OpportunityRegistered", "OpportunityUpdated", "OpportunityWithdrawn", "Proposal", "Reasons", "WeeklySlot",
    "citizen_event_adapter", "derive_id", "opportunity_event_adapter",
]
