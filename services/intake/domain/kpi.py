"""The municipality's follow-up on its integration targets: counts of people per period, by gender and origin
group, with small cells suppressed. Pure: the facts come in, a report goes out.

Every cell counts people. A cell under the threshold (five) is shown as "<5", and so is the smallest other
cell of its breakdown when it alone is hidden (or the total could give it away); a rate is hidden when its
count or its base is. Gender and origin group are used only here, never in ranking.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

THRESHOLD = 5
GENDERS = ("female", "male", "other", "undisclosed")
ORIGINS = ("refugee", "family_reunified", "eu", "western_non_eu", "non_western", "undisclosed")


class KpiStep(BaseModel):
    """One lifecycle step of one of the citizen's proposals."""

    model_config = ConfigDict(frozen=True)

    proposal_id: uuid.UUID
    kind: str
    to_state: str
    at: dt.datetime
    on_date: dt.date | None = None
    outcome: str | None = None


class KpiFollowUp(BaseModel):
    model_config = ConfigDict(frozen=True)

    months: int
    employed: bool
    started_on: dt.date
    at: dt.datetime


class KpiTest(BaseModel):
    model_config = ConfigDict(frozen=True)

    test: str
    date: dt.date
    passed: bool


class KpiFacts(BaseModel):
    """What the report needs about one citizen: no name, no contact, no free text."""

    citizen_id: uuid.UUID
    municipality: str
    gender: str = "undisclosed"
    origin_group: str = "undisclosed"
    registered_at: dt.datetime
    programme_start: dt.date | None = None
    danish_tests: list[KpiTest] = Field(default_factory=list)
    proposals: dict[str, dt.datetime] = Field(default_factory=dict, description="Proposal id → first proposed.")
    steps: list[KpiStep] = Field(default_factory=list)
    follow_ups: list[KpiFollowUp] = Field(default_factory=list)


@dataclass(frozen=True)
class Targets:
    """The municipality's targets (shares, 0–1); the national ambition is half in work after three years."""

    employment_after_3_years: float = 0.5
    danish_test_within_5_years: float = 0.5
    lasting_employment_12_months: float = 0.7
    association_participation: float = 0.2


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def holds(self, day: dt.date | dt.datetime | None) -> bool:
        if day is None:
            return False
        d = day.date() if isinstance(day, dt.datetime) else day
        return self.start <= d <= self.end


Cell = int | None  # None: suppressed


@dataclass(frozen=True)
class Row:
    key: str
    total: Cell
    by_gender: dict[str, Cell]
    by_origin: dict[str, Cell]


@dataclass(frozen=True)
class RateRow:
    key: str
    count_key: str
    base_key: str
    total: float | None
    by_gender: dict[str, float | None]
    by_origin: dict[str, float | None]
    target: float | None = None


@dataclass
class Report:
    municipality: str
    period: Period
    people: int | None
    rows: list[Row] = field(default_factory=list)
    rates: list[RateRow] = field(default_factory=list)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# What each row counts: a person is counted when the predicate holds.
Predicate = Callable[[KpiFacts], bool]


def _steps(f: KpiFacts, period: Period, to_state: str, kinds: tuple[str, ...] | None = None) -> bool:
    return any(
        s.to_state == to_state and (kinds is None or s.kind in kinds) and period.holds(s.on_date or s.at)
        for s in f.steps
    )


def _in_work_after_3_years(f: KpiFacts, period: Period) -> bool:
    """In the three-year cohort, with a job started by three years after the programme start (and no later
    follow-up saying otherwise)."""
    if f.programme_start is None or not _cohort_3_years(f, period):
        return False
    deadline = min(_add_years(f.programme_start, 3), period.end)
    started = [
        s.on_date or s.at.date()
        for s in f.steps
        if (s.to_state == "started" and s.kind == "ordinary_job") or (s.to_state == "ended" and s.outcome == "hired")
    ]
    if not any(d <= deadline for d in started):
        return False
    later = [u for u in f.follow_ups if u.at.date() <= deadline]
    return not later or max(later, key=lambda u: u.at).employed


def _cohort_3_years(f: KpiFacts, period: Period) -> bool:
    return f.programme_start is not None and _add_years(f.programme_start, 3) <= period.end


def _danish_within_5(f: KpiFacts, period: Period) -> bool:
    if f.programme_start is None:
        return False
    deadline = min(_add_years(f.programme_start, 5), period.end)
    return any(t.passed and f.programme_start <= t.date <= deadline for t in f.danish_tests)


def _in_programme(f: KpiFacts, period: Period) -> bool:
    return f.programme_start is not None and f.programme_start <= period.end


def _follow_up(months: int, employed: bool | None) -> Callable[[KpiFacts, Period], bool]:
    def holds(f: KpiFacts, period: Period) -> bool:
        return any(
            u.months == months and period.holds(u.at) and (employed is None or u.employed == employed)
            for u in f.follow_ups
        )

    return holds


def _joined_association(f: KpiFacts, period: Period) -> bool:
    """Said yes to an association activity, or started in one (recorded by the association or caseworker)."""
    return _steps(f, period, "accepted", ("association_activity",)) or _steps(
        f, period, "started", ("association_activity",)
    )


ROWS: tuple[tuple[str, Callable[[KpiFacts, Period], bool]], ...] = (
    ("citizens", lambda f, p: True),
    ("proposed", lambda f, p: any(p.holds(at) for at in f.proposals.values())),
    ("accepted", lambda f, p: _steps(f, p, "accepted")),
    ("placement_started", lambda f, p: _steps(f, p, "started", ("language_placement",))),
    ("job_started", lambda f, p: _steps(f, p, "started", ("ordinary_job",))),
    ("association_joined", _joined_association),
    ("followed_3", _follow_up(3, None)),
    ("employed_3", _follow_up(3, True)),
    ("followed_6", _follow_up(6, None)),
    ("employed_6", _follow_up(6, True)),
    ("followed_12", _follow_up(12, None)),
    ("employed_12", _follow_up(12, True)),
    ("in_programme", _in_programme),
    ("danish_within_5", _danish_within_5),
    ("cohort_3_years", _cohort_3_years),
    ("in_work_3_years", _in_work_after_3_years),
)

#: (rate, count row, base row, target attribute)
RATES: tuple[tuple[str, str, str, str | None], ...] = (
    ("rate_accepted", "accepted", "proposed", None),
    ("rate_employed_3", "employed_3", "followed_3", None),
    ("rate_employed_6", "employed_6", "followed_6", None),
    ("rate_employed_12", "employed_12", "followed_12", "lasting_employment_12_months"),
    ("rate_danish_within_5", "danish_within_5", "in_programme", "danish_test_within_5_years"),
    ("rate_association", "association_joined", "citizens", "association_participation"),
    ("rate_in_work_3_years", "in_work_3_years", "cohort_3_years", "employment_after_3_years"),
)


def suppress(total: int, cells: dict[str, int], threshold: int = THRESHOLD) -> tuple[Cell, dict[str, Cell]]:
    """Hide every cell under the threshold, and enough others that none can be worked out from the total."""
    return _complete(total, cells, {k for k, v in cells.items() if v < threshold}, threshold)


def _complete(total: int, cells: dict[str, int], hidden: set[str], threshold: int) -> tuple[Cell, dict[str, Cell]]:
    """Given the cells hidden so far: hide the total's breakdown if the total is hidden, and a second cell
    when one alone is hidden (it would be the total minus the others)."""
    if total < threshold or "total" in hidden:
        return None, dict.fromkeys(cells)
    hidden = set(hidden)
    if len(hidden) == 1:
        shown = sorted((v, k) for k, v in cells.items() if k not in hidden)
        if shown:
            hidden.add(shown[0][1])
    return total, {k: (None if k in hidden else v) for k, v in cells.items()}


def _protect(count: int, base: int, threshold: int) -> bool:
    """A count shown beside its base must not let a reader work out the few people it leaves out."""
    return 0 < base - count < threshold


def _count(facts: Sequence[KpiFacts], holds: Callable[[KpiFacts], bool]) -> tuple[int, dict[str, int], dict[str, int]]:
    chosen = [f for f in facts if holds(f)]
    genders = {g: sum(1 for f in chosen if f.gender == g) for g in GENDERS}
    origins = {o: sum(1 for f in chosen if f.origin_group == o) for o in ORIGINS}
    return len(chosen), genders, origins


def _rate(count: Cell, base: Cell) -> float | None:
    if count is None or base is None or base == 0:
        return None
    return round(count / base, 3)


def _row(key: str, counted: tuple[int, dict[str, int], dict[str, int]], extra: set[str], threshold: int) -> Row:
    """One row with its small cells, and the cells in `extra`, hidden (and whatever would give those away)."""
    total, genders, origins = counted
    hide_total = {"total"} & extra
    shown_total, shown_genders = _complete(
        total, genders, {g for g, v in genders.items() if v < threshold or g in extra} | hide_total, threshold
    )
    _, shown_origins = _complete(
        total, origins, {o for o, v in origins.items() if v < threshold or o in extra} | hide_total, threshold
    )
    return Row(key, shown_total, shown_genders, shown_origins)


def build(
    facts: Sequence[KpiFacts], municipality: str, period: Period, targets: Targets, threshold: int = THRESHOLD
) -> Report:
    """The report for the people registered by the period's end."""
    people = [f for f in facts if f.municipality == municipality and f.registered_at.date() <= period.end]
    report = Report(municipality, period, len(people) if len(people) >= threshold else None)
    raw = {key: _count(people, lambda f, p=predicate: p(f, period)) for key, predicate in ROWS}  # type: ignore[misc]
    # A count whose base is only a few larger would single those few out: hide it like a small cell.
    near_base: dict[str, set[str]] = {key: set() for key in raw}
    for _, count_key, base_key, _ in RATES:
        (c_total, c_g, c_o), (b_total, b_g, b_o) = raw[count_key], raw[base_key]
        if _protect(c_total, b_total, threshold):
            near_base[count_key].add("total")
        near_base[count_key] |= {g for g in GENDERS if _protect(c_g[g], b_g[g], threshold)}
        near_base[count_key] |= {o for o in ORIGINS if _protect(c_o[o], b_o[o], threshold)}
    rows = {key: _row(key, raw[key], near_base[key], threshold) for key in raw}
    # A count is never more than its base: shown where its base is hidden, it would bound the hidden cell
    # (and with the other cells, give it away). Hide it too, until nothing changes.
    changed = True
    while changed:
        changed = False
        for _, count_key, base_key, _ in RATES:
            count, base = rows[count_key], rows[base_key]
            exposed = {"total"} if base.total is None and count.total is not None else set()
            exposed |= {g for g in GENDERS if base.by_gender[g] is None and count.by_gender[g] is not None}
            exposed |= {o for o in ORIGINS if base.by_origin[o] is None and count.by_origin[o] is not None}
            if exposed:
                near_base[count_key] |= exposed
                rows[count_key] = _row(count_key, raw[count_key], near_base[count_key], threshold)
                changed = True
    report.rows = list(rows.values())
    for key, count_key, base_key, target in RATES:
        count, base = rows[count_key], rows[base_key]
        report.rates.append(
            RateRow(
                key=key,
                count_key=count_key,
                base_key=base_key,
                total=_rate(count.total, base.total),
                by_gender={g: _rate(count.by_gender[g], base.by_gender[g]) for g in GENDERS},
                by_origin={o: _rate(count.by_origin[o], base.by_origin[o]) for o in ORIGINS},
                target=getattr(targets, target) if target else None,
            )
        )
    return report
