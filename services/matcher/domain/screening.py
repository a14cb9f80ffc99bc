"""The hard rules over the catalogue at once, as numpy masks.

A fast pre-filter that never excludes what `rules.check` would allow (commute has a minute of
slack for rounding); `rules.check` still decides every proposal that goes out. The ranker screens
only the positions it can use (those relevant enough, and every education step and association):
at 100,000 opportunities a few hundred instead of all, and the commute was most of a ranking's time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.matcher.domain.catalogue_index import KINDS, LICENCES, CatalogueIndex, cert_bits
from services.matcher.domain.rules import (
    DETOUR,
    OVERHEAD_MIN,
    POSTCODE_MARGIN_KM,
    SPEED_KMH,
    Home,
    available_modes,
    level_rank,
    may_offer,
)
from shared.contracts import CitizenProfile, OpportunityKind

_EARTH_KM = 6371.0
_EDUCATION = KINDS.index(OpportunityKind.EDUCATION_STEP)


@dataclass(frozen=True)
class Screen:
    allowed: npt.NDArray[np.bool_]  # passes every vectorised rule
    near_miss: npt.NDArray[np.bool_]  # fails only for a certificate or driving licence
    minutes: npt.NDArray[np.float64]  # best commute, NaN when the citizen's home is unknown
    missing_certs: npt.NDArray[np.int32]  # bits of certificates the citizen lacks
    missing_licence: npt.NDArray[np.bool_]


_Xyz = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def commute_minutes(profile: CitizenProfile, xyz: _Xyz, home: Home | None) -> npt.NDArray[np.float64]:
    """Fastest commute to every point (unit vectors), in minutes, as the cut sees it (NaN: home unknown).

    The great-circle distance comes from the chord between unit vectors (haversine's h is
    chord² / 4), so no trigonometry runs per opportunity; it agrees with `rules.distance_km`.
    A home known only by its postcode gets `POSTCODE_MARGIN_KM` off every distance.
    """
    x, y, z = xyz
    if home is None:
        return np.full(len(x), np.nan)
    lat0, lon0 = np.radians(home.point.lat), np.radians(home.point.lon)
    d = x - np.cos(lat0) * np.cos(lon0)
    h = np.square(d, out=d)
    d = y - np.cos(lat0) * np.sin(lon0)
    h += np.square(d, out=d)
    d = z - np.sin(lat0)
    h += np.square(d, out=d)
    h *= 0.25
    km = np.sqrt(h, out=h)
    np.arcsin(km, out=km)
    km *= 2 * _EARTH_KM
    if home.from_postcode:
        np.maximum(km - POSTCODE_MARGIN_KM, 0.0, out=km)
    km *= DETOUR
    minutes: npt.NDArray[np.float64] | None = None
    for m in available_modes(profile):
        t = km / SPEED_KMH[m] * 60 + OVERHEAD_MIN[m]
        minutes = t if minutes is None else np.minimum(minutes, t, out=minutes)
    assert minutes is not None  # walking is always available
    return minutes


def screen(
    profile: CitizenProfile,
    ci: CatalogueIndex,
    home: Home | None,
    positions: npt.NDArray[np.intp] | None = None,
) -> Screen:
    """The masks over the whole catalogue, or over `positions` only.

    With `positions`, every other opportunity counts as refused (not allowed, not a near miss)
    with an infinite commute when the home is known, so nothing outside them can be picked.
    """
    at = slice(None) if positions is None else positions
    kind = ci.kind[at]
    consent = np.array([may_offer(profile, k) for k in KINDS], dtype=np.bool_)
    kind_ok = consent[kind]
    danish_ok = (ci.min_danish[at] <= level_rank(profile.danish.level)) | ci.mentor[at]
    x, y, z = ci.xyz
    minutes = commute_minutes(profile, (x[at], y[at], z[at]), home)
    commute_ok = np.isnan(minutes) | (minutes <= profile.transport.max_commute_minutes + 1.0)
    missing = ci.certs[at] & ~np.int32(cert_bits(profile.certificates))
    held = np.zeros(len(LICENCES) + 1, dtype=np.bool_)  # last slot: -1, no licence needed
    held[-1] = True
    for lic in profile.transport.driving_licences:
        held[LICENCES.index(lic)] = True
    missing_licence = ~held[ci.licence[at]]
    exempt = kind == _EDUCATION
    papers_ok = exempt | ((missing == 0) & ~missing_licence)
    base = kind_ok & danish_ok & commute_ok
    sc = Screen(
        allowed=base & papers_ok,
        near_miss=base & ~papers_ok,
        minutes=minutes,
        missing_certs=np.where(exempt, 0, missing).astype(np.int32),
        missing_licence=~exempt & missing_licence,
    )
    return sc if positions is None else _spread(sc, positions, len(ci), home is None)


def _spread(sc: Screen, positions: npt.NDArray[np.intp], n: int, home_unknown: bool) -> Screen:
    """A screen of some positions as whole-catalogue arrays, the rest refused."""
    allowed = np.zeros(n, dtype=np.bool_)
    allowed[positions] = sc.allowed
    near_miss = np.zeros(n, dtype=np.bool_)
    near_miss[positions] = sc.near_miss
    minutes = np.full(n, np.nan if home_unknown else np.inf)
    minutes[positions] = sc.minutes
    missing_certs = np.zeros(n, dtype=np.int32)
    missing_certs[positions] = sc.missing_certs
    missing_licence = np.zeros(n, dtype=np.bool_)
    missing_licence[positions] = sc.missing_licence
    return Screen(allowed, near_miss, minutes, missing_certs, missing_licence)
