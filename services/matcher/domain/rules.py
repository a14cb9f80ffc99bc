"""Hard rules: an opportunity that breaks one is never proposed, whatever its score."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from services.matcher.domain.eligibility import legally_eligible
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind
from shared.contracts.common import CEFR_ORDER, CefrLevel, GeoPoint, WeeklySlot

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
#: A home known only by its postcode is that postcode's point, and a postcode area is large: the
#: commute cut then allows this much straight-line distance (a rural postcode's radius) on top.
POSTCODE_MARGIN_KM = 5.0
#: An overlap with the citizen's other fixed commitments of at least this share of the
#: opportunity's weekly hours excludes it; a smaller one is a visible flag.
COMMITMENT_SHARE = 0.25
#: Weekly hours a job may have above what the citizen can work before it is "more than she can
#: work": a 37.5-hour week (paid lunch) is a full-time job for someone who can work full time (37).
HOURS_SLACK = 0.5


NO_POSTCODES: Mapping[str, GeoPoint] = MappingProxyType({})


def more_hours(hours: float, can_work: float) -> bool:
    """More weekly hours than the citizen can work, beyond `HOURS_SLACK`."""
    return hours > can_work + HOURS_SLACK


@dataclass(frozen=True)
class Home:
    point: GeoPoint
    from_postcode: bool = False


@dataclass(frozen=True)
class Commute:
    km: float
    minutes: float
    mode: CommuteMode
    from_postcode: bool = False
    cut_minutes: float = 0.0  # what the maximum is held against (less than `minutes` by the margin)


def home_of(profile: CitizenProfile, postcodes: Mapping[str, GeoPoint]) -> Home | None:
    """The citizen's home coordinates, else their postcode's point, else None (unknown)."""
    home = profile.personal_data().home  # raises if still sealed: open it before ranking
    if home is not None:
        return Home(home)
    point = postcodes.get(profile.home_postcode)
    return Home(point, from_postcode=True) if point is not None else None


def overlap_hours(slots: Sequence[WeeklySlot], busy: Sequence[WeeklySlot]) -> float:
    """Hours per week that `slots` share with `busy`."""
    minutes = 0
    for s in slots:
        for b in busy:
            if s.overlaps(b):
                start, end = max(s.start, b.start), min(s.end, b.end)
                minutes += (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return minutes / 60


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance."""
    r = 6371.0
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def best_commute(profile: CitizenProfile, destination: GeoPoint, home: Home | None) -> Commute | None:
    """The fastest way the citizen can get there, or None when their home is not known."""
    if home is None:
        return None
    straight = distance_km(home.point, destination)
    km = straight * DETOUR
    cut_km = max(straight - POSTCODE_MARGIN_KM, 0.0) * DETOUR if home.from_postcode else km
    modes = available_modes(profile)
    minutes, mode = min((km / SPEED_KMH[m] * 60 + OVERHEAD_MIN[m], m) for m in modes)
    cut = min(cut_km / SPEED_KMH[m] * 60 + OVERHEAD_MIN[m] for m in modes)
    return Commute(
        km=round(km, 1), minutes=round(minutes, 0), mode=mode, from_postcode=home.from_postcode, cut_minutes=cut
    )


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


def may_offer(profile: CitizenProfile, kind: OpportunityKind) -> bool:
    """Consented to, and not associations the citizen asked never to be recommended."""
    if kind is OpportunityKind.ASSOCIATION_ACTIVITY and profile.hide_associations:
        return False
    return profile.consent.allows(kind)


def _grants_only_what_is_held(profile: CitizenProfile, opp: Opportunity) -> bool:
    """A course for a licence or certificates the citizen already holds is no step forward."""
    edu = opp.education
    if edu is None or (edu.grants_driving_licence is None and not edu.grants_certificates):
        return False
    held = profile.transport.driving_licences
    licence_held = edu.grants_driving_licence is None or edu.grants_driving_licence in held
    return licence_held and set(edu.grants_certificates) <= set(profile.certificates)


def check(
    profile: CitizenProfile, opp: Opportunity, postcodes: Mapping[str, GeoPoint] = NO_POSTCODES
) -> Verdict:
    """Apply every hard rule; the first one broken names the verdict."""
    rule, commute = next(_rules(profile, opp, postcodes))
    return Verdict(not rule, rule, commute)


def broken_rules(
    profile: CitizenProfile, opp: Opportunity, postcodes: Mapping[str, GeoPoint] = NO_POSTCODES
) -> list[str]:
    """Every hard rule `opp` breaks, in the order `check` applies them (for the near misses: more
    Danish alone does not open a job that also clashes with the Danish class)."""
    return [rule for rule, _ in _rules(profile, opp, postcodes) if rule]


def _rules(
    profile: CitizenProfile, opp: Opportunity, postcodes: Mapping[str, GeoPoint]
) -> Iterator[tuple[str, Commute | None]]:
    """Each broken rule in order, with the commute when known; then ("", commute). A rule about who
    may be offered it at all (consent, hidden associations, what is held already) ends the list."""
    if not profile.consent.allows(opp.kind):
        yield "no_consent", None
        return
    if opp.kind == OpportunityKind.ASSOCIATION_ACTIVITY:
        if profile.hide_associations:
            yield "associations_hidden", None
            return
        if opp.association and opp.association.women_only and not profile.wants_women_only_activities:
            yield "women_only_not_requested", None
            return
    if opp.kind == OpportunityKind.EDUCATION_STEP and _grants_only_what_is_held(profile, opp):
        yield "already_held", None
        return
    if (
        opp.min_danish_level is not None
        and level_rank(profile.danish.level) < level_rank(opp.min_danish_level)
        and not opp.danish_mentor
    ):
        yield "danish_level", None
    commute = best_commute(profile, opp.location.point, home_of(profile, postcodes))
    if commute is not None and round(commute.cut_minutes) > profile.transport.max_commute_minutes:
        yield "commute", commute
    if any(s.overlaps(c) for s in opp.schedule.slots for c in profile.danish.class_times):
        yield "collides_with_danish_class", commute
    busy = overlap_hours(opp.schedule.slots, profile.availability.unavailable)
    if busy > 0 and busy >= COMMITMENT_SHARE * opp.schedule.hours_per_week:
        yield "collides_with_commitments", commute
    if opp.kind != OpportunityKind.EDUCATION_STEP:
        if not set(opp.required_certificates) <= set(profile.certificates):
            yield "missing_certificate", commute
        if opp.required_driving_licence and opp.required_driving_licence not in profile.transport.driving_licences:
            yield "missing_driving_licence", commute
    if not legally_eligible(profile, opp):
        yield "not_legally_eligible", commute
    yield "", commute
