"""The KPI page (charts, tables, CSV, printable) and the caseworker's follow-up form on a started job."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake import kpi as kpi_use_cases
from services.intake.domain import kpi
from services.intake.domain.access import Forbidden, NotFound
from services.intake.entrypoints.deps import Caller
from services.intake.entrypoints.kpi_api import as_csv, build_report, period_of
from services.intake.entrypoints.pages.auth import PAGE_PREFIX, safe_next
from services.intake.entrypoints.pages.charts import Bar, bar_chart
from services.intake.entrypoints.pages.text import TEXT, translator
from services.intake.entrypoints.pages.views import checked_form, lang_of, refusal, render

router = APIRouter(prefix=PAGE_PREFIX, include_in_schema=False)


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def _report(request: Request, caller: Caller) -> kpi.Report:
    p = request.query_params
    period = period_of(_day(p.get("from")), _day(p.get("to")))
    return await build_report(request, request.app.state.reads, caller, p.get("municipality"), period)


@router.get("/kpi")
async def kpi_page(request: Request, caller: Caller) -> HTMLResponse:
    try:
        report = await _report(request, caller)
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    t = translator(lang_of(request))
    charts = []
    for rate in report.rates:
        if rate.target is None:
            continue
        bars = [Bar(t("kpi_total"), rate.total)]
        bars += [Bar(t(f"gender_{g}"), rate.by_gender[g]) for g in kpi.GENDERS]
        bars += [Bar(t(f"origin_{o}"), rate.by_origin[o]) for o in kpi.ORIGINS]
        svg = bar_chart(
            f"chart-{rate.key}", t(f"kpi_{rate.key}"), bars, rate.target, t("kpi_target"), t("kpi_suppressed")
        )
        charts.append((rate, svg))
    return render(
        request,
        "kpi.html",
        caller=caller,
        report=report,
        charts=charts,
        genders=kpi.GENDERS,
        origins=kpi.ORIGINS,
        query=request.url.query,
    )


@router.get("/kpi.csv")
async def kpi_csv(request: Request, caller: Caller) -> Response:
    try:
        report = await _report(request, caller)
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    index = 0 if lang_of(request) == "da" else 1
    labels = {key[4:]: pair[index] for key, pair in TEXT.items() if key.startswith("kpi_")}
    return Response(
        "\ufeff" + as_csv(report, labels),  # a BOM, so spreadsheets read æ, ø and å
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kpi-{report.municipality}.csv"'},
    )


@router.post("/proposals/{proposal_id}/follow-up")
async def follow_up(request: Request, proposal_id: uuid.UUID, caller: Caller) -> Response:
    form = await checked_form(request)
    if form is None:
        return render(request, "message.html", 403, caller, message="csrf_failed")
    back = safe_next(str(form.get("next", "")))
    months = {"3": 3, "6": 6, "12": 12}.get(str(form.get("months")))
    if months is None:
        return RedirectResponse(f"{back}?notice=step_incomplete", status_code=303)
    deps = request.app.state.deps
    try:
        await kpi_use_cases.record_follow_up(
            request.app.state.lifecycle.lifecycle.store,
            deps.publisher,
            request.app.state.privacy,
            deps.topics,
            caller,
            proposal_id,
            months,  # type: ignore[arg-type]
            form.get("employed") == "yes",
            f"page-{uuid.uuid4().hex[:16]}",
        )
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    except kpi_use_cases.NotStarted:
        return RedirectResponse(f"{back}?notice=not_started", status_code=303)
    except kpi_use_cases.NotAJob:
        return RedirectResponse(f"{back}?notice=not_a_job", status_code=303)
    return RedirectResponse(f"{back}?notice=decision_saved", status_code=303)
