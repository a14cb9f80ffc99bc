"""The demo's invented past: valid profiles of clearly fictional people, the same for the same day, and enough
of them that the KPI report shows figures for its main indicators instead of "<5"."""

from __future__ import annotations

import datetime as dt
import uuid

from brobygger.demo_history import MAIN_KPIS, PEOPLE, Past, events, history
from services.intake.domain import kpi
from services.intake.reads import kpi_follow_up, kpi_step
from shared.contracts import EmploymentFollowUpRecorded, ProposalTransitioned
from shared.contracts.profile import CitizenProfileInput

TODAY = dt.date(2026, 11, 30)


def facts_of(past: Past, today: dt.date = TODAY) -> kpi.KpiFacts:
    """What intake's KPI read model keeps of one invented citizen, from the same events the demo writes."""
    citizen = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-history-test-{past.n}")
    happened = events(past, citizen)
    steps = [kpi_step(e) for e in happened if isinstance(e, ProposalTransitioned)]
    follow_ups = [kpi_follow_up(e) for e in happened if isinstance(e, EmploymentFollowUpRecorded)]
    profile = CitizenProfileInput.model_validate(past.profile)
    return kpi.KpiFacts(
        citizen_id=citizen,
        municipality=profile.municipality_code,
        gender=profile.audit.gender,
        origin_group=profile.audit.origin_group,
        registered_at=dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC),
        programme_start=profile.programme_start,
        danish_tests=[kpi.KpiTest(test=t.test, date=t.date, passed=t.passed) for t in profile.danish_tests],
        steps=steps,
        follow_ups=follow_ups,
    )


def test_the_invented_citizens_are_valid_fictional_and_the_same_for_the_same_day() -> None:
    pasts = history(TODAY)
    assert len(pasts) == PEOPLE
    for past in pasts:
        profile = CitizenProfileInput.model_validate(past.profile)  # the intake API accepts it
        assert past.profile["personal"]["name"].startswith("Fiktiv borger ")
        assert not any(profile.consent.model_dump().values())  # they take no places from the demo's citizens
        assert all(s.on <= TODAY for s in past.steps) and all(f.on <= TODAY for f in past.follow_ups)
    again = history(TODAY)
    assert [p.profile for p in again] == [p.profile for p in pasts]
    assert [e.model_dump() for p in again for e in events(p, uuid.UUID(int=p.n))] == [
        e.model_dump() for p in pasts for e in events(p, uuid.UUID(int=p.n))
    ]


def test_the_report_over_the_invented_past_shows_figures_for_its_main_indicators() -> None:
    report = kpi.build(
        [facts_of(p) for p in history(TODAY)], "316", kpi.Period(dt.date(2026, 1, 1), TODAY), kpi.Targets()
    )
    rows = {r.key: r for r in report.rows}
    for key in (*MAIN_KPIS, "cohort_3_years"):
        total = rows[key].total
        assert total is not None and total >= 5, key
        assert rows[key].by_gender["female"] is not None or rows[key].by_gender["male"] is not None, key
    rates = {r.key: r for r in report.rates}
    for key in ("rate_employed_12", "rate_danish_within_5", "rate_association", "rate_in_work_3_years"):
        rate = rates[key].total
        assert rate is not None and 0 < rate < 1, key
    past = [r for r in report.rows if r.key not in ("proposed", "accepted")]  # those two are Brobygger's own
    shown = sum(v is not None for r in past for v in (r.total, *r.by_gender.values(), *r.by_origin.values()))
    cells = sum(1 + len(r.by_gender) + len(r.by_origin) for r in past)
    assert shown / cells > 0.5, f"only {shown} of {cells} cells show a figure"
