"""The KPI report as JSON and CSV (staff), and the caseworker's employment follow-up on a started job."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.intake import kpi as kpi_use_cases
from services.intake.domain import kpi
from services.intake.domain.access import Principal
from services.intake.entrypoints.deps import Caller, Deps, Req
from services.intake.entrypoints.lifecycle_api import Lifecycle
from services.intake.entrypoints.privacy_api import Privacy
from services.intake.entrypoints.read_api import Reads

SUPPRESSED = "<5"


class KpiCell(BaseModel):
    total: int | str = Field(description=f'A count of people, or "{SUPPRESSED}" when it could single someone out.')
    by_gender: dict[str, int | str]
    by_origin: dict[str, int | str]


class KpiRate(BaseModel):
    total: float | str
    by_gender: dict[str, float | str]
    by_origin: dict[str, float | str]
    target: float | None
    count: str = Field(description="The row counted.")
    base: str = Field(description="The row it is a share of.")


class KpiReport(BaseModel):
    municipality: str
    period_start: dt.date
    period_end: dt.date
    threshold: int = kpi.THRESHOLD
    rows: dict[str, KpiCell]
    rates: dict[str, KpiRate]


class FollowUp(BaseModel):
    months: Literal[3, 6, 12] = Field(description="Months after the job started.")
    employed: bool = Field(description="Still in work.")


def _c(value: int | float | None) -> int | float | str:
    return SUPPRESSED if value is None else value


def as_model(report: kpi.Report) -> KpiReport:
    return KpiReport(
        municipality=report.municipality,
        period_start=report.period.start,
        period_end=report.period.end,
        rows={
            r.key: KpiCell(
                total=_c(r.total),
                by_gender={k: _c(v) for k, v in r.by_gender.items()},
                by_origin={k: _c(v) for k, v in r.by_origin.items()},
            )
            for r in report.rows
        },
        rates={
            r.key: KpiRate(
                total=_c(r.total),
                by_gender={k: _c(v) for k, v in r.by_gender.items()},
                by_origin={k: _c(v) for k, v in r.by_origin.items()},
                target=r.target,
                count=r.count_key,
                base=r.base_key,
            )
            for r in report.rates
        },
    )


def as_csv(report: kpi.Report, labels: dict[str, str] | None = None) -> str:
    """One line per row and rate: the total, then each gender and origin group; suppressed cells read "<5"."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["metric", "total", *(f"gender:{g}" for g in kpi.GENDERS), *(f"origin:{o}" for o in kpi.ORIGINS), "target"]
    )
    named = (labels or {}).get
    lines: list[kpi.Row | kpi.RateRow] = [*report.rows, *report.rates]
    for row in lines:
        target = getattr(row, "target", None)
        writer.writerow(
            [
                named(row.key, row.key),
                _c(row.total),
                *(_c(row.by_gender[g]) for g in kpi.GENDERS),
                *(_c(row.by_origin[o]) for o in kpi.ORIGINS),
                "" if target is None else target,
            ]
        )
    return out.getvalue()


def period_of(start: dt.date | None, end: dt.date | None, today: dt.date | None = None) -> kpi.Period:
    """The period asked for; by default the calendar year so far."""
    today = today or dt.date.today()
    end = end or today
    return kpi.Period(start=start or dt.date(end.year, 1, 1), end=end)


async def build_report(
    request: Request, deps: Reads, caller: Principal, municipality: str | None, period: kpi.Period
) -> kpi.Report:
    targets: kpi.Targets = request.app.state.kpi_targets
    return await kpi_use_cases.report(deps, caller, municipality, period, targets)


router = APIRouter(tags=["kpi"])


@router.get(
    "/v1/kpi",
    response_model=KpiReport,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV"}},
)
async def read_kpi(
    request: Request,
    caller: Caller,
    deps: Reads,
    start: Annotated[dt.date | None, Query(alias="from", description="First day (default: 1 January).")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="Last day, inclusive (default: today).")] = None,
    municipality: Annotated[str | None, Query(pattern=r"^[0-9]{3}$", description="Admins only.")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="`csv` for a spreadsheet.")] = "json",
) -> KpiReport | Response:
    """The municipality's results against its targets, by gender and origin group; cells under five suppressed."""
    report = await build_report(request, deps, caller, municipality, period_of(start, end))
    if format == "csv":
        return Response(
            as_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="kpi-{report.municipality}.csv"'},
        )
    return as_model(report)


@router.post("/v1/proposals/{proposal_id}/follow-ups", status_code=202)
async def record_follow_up(
    proposal_id: uuid.UUID, body: FollowUp, caller: Caller, deps: Deps, lifecycle: Lifecycle, privacy: Privacy, req: Req
) -> JSONResponse:
    """Record whether the citizen is still in work 3, 6 or 12 months after the job started (staff).

    Jobs only: an ordinary job once started, or a placement or step that ended with the outcome `hired`
    (409 `not_a_job` otherwise, 409 `not_started` for a job not started yet)."""
    try:
        event = await kpi_use_cases.record_follow_up(
            lifecycle.lifecycle.store,
            deps.publisher,
            privacy,
            deps.topics,
            caller,
            proposal_id,
            body.months,
            body.employed,
            req.correlation_id,
        )
    except kpi_use_cases.NotStarted as exc:
        return JSONResponse(status_code=409, content={"error": "not_started", "message": str(exc)})
    except kpi_use_cases.NotAJob as exc:
        return JSONResponse(
            status_code=409,
            content={
                "error": "not_a_job",
                "message": str(exc),
                "problems": [{"field": "kind", "problem": "employment follow-ups are for jobs", "type": "not_a_job"}],
            },
        )
    return JSONResponse(
        status_code=202,
        content={
            "event_id": str(event.event_id),
            "proposal_id": str(proposal_id),
            "correlation_id": req.correlation_id,
        },
    )
