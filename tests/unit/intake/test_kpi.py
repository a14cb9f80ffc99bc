"""The KPI report's counting and its suppression of small groups, on facts made here."""

from __future__ import annotations

import datetime as dt
import uuid

from services.intake.domain.kpi import KpiFacts, KpiFollowUp, KpiStep, KpiTest, Period, Targets, build, suppress
from services.intake.kpi import job_started_on
from shared.contracts import OpportunityKind

YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
WHEN = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def person(gender: str = "female", origin: str = "refugee", **kw: object) -> KpiFacts:
    return KpiFacts(
        citizen_id=uuid.uuid4(), municipality="316", gender=gender, origin_group=origin, registered_at=WHEN, **kw
    )  # type: ignore[arg-type]


def started(kind: str = "ordinary_job", on: dt.date = dt.date(2026, 4, 1)) -> KpiStep:
    return KpiStep(proposal_id=uuid.uuid4(), kind=kind, to_state="started", at=WHEN, on_date=on)


def _row(report: object, key: str) -> object:
    return next(r for r in report.rows if r.key == key)  # type: ignore[attr-defined]


def _rate(report: object, key: str) -> object:
    return next(r for r in report.rates if r.key == key)  # type: ignore[attr-defined]


def test_a_cell_under_five_is_hidden_and_so_is_the_next_smallest_so_the_total_cannot_give_it_away() -> None:
    total, cells = suppress(20, {"female": 12, "male": 6, "other": 2, "undisclosed": 0})
    assert total == 20
    assert cells == {"female": 12, "male": 6, "other": None, "undisclosed": None}
    total, cells = suppress(20, {"female": 13, "male": 5, "other": 2})
    assert cells == {"female": 13, "male": None, "other": None}  # one hidden alone is 20 - 13 - 5: hide 5 too
    assert suppress(4, {"female": 4, "male": 0}) == (None, {"female": None, "male": None})


def test_counts_people_by_gender_and_origin_and_hides_groups_of_fewer_than_five() -> None:
    women = [person("female") for _ in range(8)]
    men = [person("male", "eu") for _ in range(3)]
    report = build([*women, *men], "316", YEAR, Targets())
    citizens = _row(report, "citizens")
    assert citizens.total == 11  # type: ignore[attr-defined]
    assert citizens.by_gender["female"] == 8  # type: ignore[attr-defined]
    assert citizens.by_gender["male"] is None  # type: ignore[attr-defined]
    assert citizens.by_origin["refugee"] == 8 and citizens.by_origin["eu"] is None  # type: ignore[attr-defined]
    assert report.people == 11


def test_jobs_started_in_the_period_and_lasting_employment_follow_ups() -> None:
    followed = [
        person(
            steps=[started()],
            follow_ups=[KpiFollowUp(months=3, employed=n < 9, started_on=dt.date(2026, 4, 1), at=WHEN)],
        )
        for n in range(14)
    ]
    before = [person(steps=[started(on=dt.date(2025, 5, 1))]) for _ in range(6)]
    report = build([*followed, *before], "316", YEAR, Targets())
    assert _row(report, "job_started").total == 14  # type: ignore[attr-defined]
    assert _row(report, "followed_3").total == 14  # type: ignore[attr-defined]
    assert _row(report, "employed_3").total == 9  # type: ignore[attr-defined]
    assert _rate(report, "rate_employed_3").total == round(9 / 14, 3)  # type: ignore[attr-defined]


def test_a_count_a_few_short_of_its_base_is_hidden_so_the_few_are_not_singled_out() -> None:
    # 12 followed up, 10 still in work: showing both would say "two people lost their job".
    people = [
        person(follow_ups=[KpiFollowUp(months=6, employed=n < 10, started_on=dt.date(2025, 9, 1), at=WHEN)])
        for n in range(12)
    ]
    report = build(people, "316", YEAR, Targets())
    assert _row(report, "followed_6").total == 12  # type: ignore[attr-defined]
    assert _row(report, "employed_6").total is None  # type: ignore[attr-defined]
    assert _rate(report, "rate_employed_6").total is None  # type: ignore[attr-defined]


def test_danish_tests_count_when_passed_within_five_years_of_the_programme_start() -> None:
    start = dt.date(2022, 2, 1)
    passed_in_time = [
        person(programme_start=start, danish_tests=[KpiTest(test="PD2", date=dt.date(2024, 6, 1), passed=True)])
        for _ in range(6)
    ]
    too_late = [
        person(
            programme_start=dt.date(2020, 1, 1),
            danish_tests=[KpiTest(test="PD2", date=dt.date(2026, 6, 1), passed=True)],
        )
        for _ in range(5)
    ]
    failed = [
        person(programme_start=start, danish_tests=[KpiTest(test="PD3", date=dt.date(2024, 6, 1), passed=False)])
        for _ in range(6)
    ]
    report = build([*passed_in_time, *too_late, *failed], "316", YEAR, Targets())
    assert _row(report, "in_programme").total == 17  # type: ignore[attr-defined]
    assert _row(report, "danish_within_5").total == 6  # type: ignore[attr-defined]
    assert _rate(report, "rate_danish_within_5").target == 0.5  # type: ignore[attr-defined]


def test_in_work_after_three_years_is_measured_against_the_national_ambition_of_half() -> None:
    start = dt.date(2022, 1, 10)
    in_work = [person(programme_start=start, steps=[started(on=dt.date(2023, 5, 1))]) for _ in range(6)]
    not_yet = [person(programme_start=start) for _ in range(6)]
    too_recent = [person(programme_start=dt.date(2025, 1, 1), steps=[started()]) for _ in range(5)]
    report = build([*in_work, *not_yet, *too_recent], "316", YEAR, Targets())
    assert _row(report, "cohort_3_years").total == 12  # type: ignore[attr-defined]
    assert _row(report, "in_work_3_years").total == 6  # type: ignore[attr-defined]
    rate = _rate(report, "rate_in_work_3_years")
    assert rate.total == 0.5 and rate.target == 0.5  # type: ignore[attr-defined]


def test_only_the_municipality_asked_for_is_counted() -> None:
    here = [person() for _ in range(6)]
    there = [person().model_copy(update={"municipality": "101"}) for _ in range(9)]
    assert _row(build([*here, *there], "316", YEAR, Targets()), "citizens").total == 6  # type: ignore[attr-defined]


def test_a_follow_up_counts_from_a_job_start_or_from_a_placement_that_ended_in_a_hire() -> None:
    job, placement = OpportunityKind.ORDINARY_JOB, OpportunityKind.LANGUAGE_PLACEMENT
    april, june = dt.date(2026, 4, 1), dt.date(2026, 6, 1)
    assert job_started_on(job, [("interested", None, None), ("started", april, None)]) == april
    assert job_started_on(job, [("started", april, None), ("ended", june, "hired")]) == april  # the job's own start
    assert job_started_on(job, [("interested", None, None)]) is None
    assert job_started_on(placement, [("started", april, None)]) is None  # a placement is not a job
    assert job_started_on(placement, [("started", april, None), ("ended", june, "completed")]) is None
    assert job_started_on(placement, [("started", april, None), ("ended", june, "hired")]) == june
    assert job_started_on(OpportunityKind.ASSOCIATION_ACTIVITY, [("started", april, None)]) is None


def test_a_count_is_hidden_where_its_base_is_hidden_because_it_would_bound_the_hidden_cell() -> None:
    # Followed up at 3 months: 20 women, 22 men, 6 undisclosed, nobody "other". "other" (0) is hidden, and so is
    # the next smallest, the undisclosed 6. Still in work: 10 women, 18 men (hidden: 4 short of 22), 6 undisclosed.
    # Were those 6 shown, the reader would know the hidden base is at least 6, so 48 - 20 - 22 = 6, and "other" 0.
    def followed(gender: str, employed: bool) -> KpiFacts:
        up = KpiFollowUp(months=3, employed=employed, started_on=dt.date(2026, 1, 5), at=WHEN)
        return person(gender=gender, follow_ups=[up])

    people = [followed("female", n < 10) for n in range(20)] + [followed("male", n < 18) for n in range(22)]
    people += [followed("undisclosed", True) for _ in range(6)]
    report = build(people, "316", YEAR, Targets())
    base, count = _row(report, "followed_3"), _row(report, "employed_3")
    assert base.by_gender == {"female": 20, "male": 22, "other": None, "undisclosed": None}  # type: ignore[attr-defined]
    assert count.by_gender["undisclosed"] is None  # type: ignore[attr-defined]
    for row in (base, count):  # whatever is shown, no hidden cell can be worked out from it
        shown = {g: v for g, v in row.by_gender.items() if v is not None}  # type: ignore[attr-defined]
        assert len(row.by_gender) - len(shown) != 1  # type: ignore[attr-defined]
