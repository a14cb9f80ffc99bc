"""Hard rules: an opportunity that breaks one is never proposed, whatever its score."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from services.matcher.domain.eligibility import legally_eligible
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind
from shared.contracts.common import CEFR_ORDER, CefrLevel, GeoPoint

CommuteMode = Literal["walk", "bike", "public_transport", "car"]

# Door-to-door speeds (km/h) and fixed overhead (minutes) per mode; roads are not straight lines.
SPEED_KMH: dict[CommuteMode, float] = {
    "walk": 4.5,
    "bike": 15.0,
    "public_transport": 30.0,
    "car": 55.0,
}
OVERHEAD_MIN: dict[CommuteMode, float] = {
    "walk": 0.0,
    "bike": 2.0,
    "public_transport": 12.0,
    "car": 4.0,
}
DETOUR = 1.3


@dataclass(frozen=True)
class Commute:
    km: float
    minutes: float
    mode: CommuteMode


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance."""
    r = 6371.0
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def best_commute(profile: CitizenProfile, destination: GeoPoint) -> Commute | None:
    """The fastest way the citizen can get there, or None when their home is not known."""
    home = profile.personal_data().home  # raises if still sealed: open it before ranking
    if home is None:
        return None
    km = distance_km(home, destination) * DETOUR
    modes = available_modes(profile)
    timed = [(km / SPEED_KMH[m] * 60 + OVERHEAD_MIN[m], m) for m in modes]
    minutes, mode = min(timed)
    return Commute(km=round(km, 1), minutes=round(minutes, 0), mode=mode)


def available_modes(profile: CitizenProfile) -> list[CommuteMode]:
    modes: list[CommuteMode] = ["walk"]
    t = profile.transport
    if t.bike:
        modes.append("bike")
    if t.public_transport:
        modes.append("public_transport")
    if t.car and t.driving_licences:
        modes.append("car")
    return modes


def level_rank(level: CefrLevel | None) -> int:
    return 0 if level is None else CEFR_ORDER.index(level) + 1


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: str = ""
    commute: Commute | None = None


def _grants_only_what_is_held(profile: CitizenProfile, opp: Opportunity) -> bool:
    """A course for a licence or certificates the citizen already holds is no step forward."""
    edu = opp.education
    if edu is None or (edu.grants_driving_licence is None and not edu.grants_certificates):
        return False
    held = profile.transport.driving_licences
    licence_held = edu.grants_driving_licence is None or edu.grants_driving_licence in held
    return licence_held and set(edu.grants_certificates) <= set(profile.certificates)


def check(profile: CitizenProfile, opp: Opportunity) -> Verdict:
    """Apply every hard rule; the first one broken names the verdict."""
    if not profile.consent.allows(opp.kind):
        return Verdict(False, "no_consent")
    if opp.kind == OpportunityKind.ASSOCIATION_ACTIVITY:
        if profile.hide_associations:
            return Verdict(False, "associations_hidden")
        if opp.association and opp.association.women_only and not profile.wants_women_only_activities:
            return Verdict(False, "women_only_not_requested")
    if opp.kind == OpportunityKind.EDUCATION_STEP and _grants_only_what_is_held(profile, opp):
        return Verdict(False, "already_held")
    if (
        opp.min_danish_level is not None
        and level_rank(profile.danish.level) < level_rank(opp.min_danish_level)
        and not opp.danish_mentor
    ):
        return Verdict(False, "danish_level")
    commute = best_commute(profile, opp.location.point)
    if commute is not None and commute.minutes > profile.transport.max_commute_minutes:
        return Verdict(False, "commute", commute)
    if any(s.overlaps(c) for s in opp.schedule.slots for c in profile.danish.class_times):
        return Verdict(False, "collides_with_danish_class", commute)
    if opp.kind != OpportunityKind.EDUCATION_STEP:
        if not set(opp.required_certificates) <= set(profile.certificates):
            return Verdict(False, "missing_certificate", commute)
        if opp.required_driving_licence and opp.required_driving_licence not in profile.transport.driving_licences:
            return Verdict(False, "missing_driving_licence", commute)
    if not legally_eligible(profile, opp):
        return Verdict(False, "not_legally_eligible", commute)
    return Verdict(True, "", commute)
