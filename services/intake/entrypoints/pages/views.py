"""The pages: sign-in, the caseload, the intake form, a citizen's page, opportunities and their candidates.

Every page calls the same use cases as the API (same scoping, same audit); forms post plain HTML with
a CSRF token bound to the session. No script is needed; one small script adds ESCO autocomplete.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from services.intake import handlers, lifecycle_views, reads
from services.intake import kpi as kpi_use_cases
from services.intake import privacy as privacy_use_cases
from services.intake.adapters.esco_client import SuggestUnavailable
from services.intake.domain.access import Forbidden, NotFound, Principal, Role
from services.intake.domain.caseload import STATUSES, CaseEntry, CaseQuery
from services.intake.domain.catalogue import CatalogueQuery
from services.intake.domain.privacy import PersonalNumberFound
from services.intake.entrypoints.deps import Caller
from services.intake.entrypoints.esco_api import suggestions
from services.intake.entrypoints.lifecycle_api import owner_label
from services.intake.entrypoints.pages import forms
from services.intake.entrypoints.pages.auth import (
    DEMO_IDENTITIES,
    PAGE_PREFIX,
    SESSION_COOKIE,
    SESSION_HOURS,
    SIGN_IN_CSRF_COOKIE,
    PageAuth,
    safe_next,
)
from services.intake.entrypoints.pages.text import Lang, error_text, number, translator
from services.intake.handlers import IntakeDeps
from services.intake.privacy import Actor
from shared.contracts import CitizenProfile, OpportunityKind

HERE = Path(__file__).resolve().parent.parent.parent
templates = Jinja2Templates(directory=HERE / "templates")
LANG_COOKIE = "brobygger_lang"

router = APIRouter(prefix=PAGE_PREFIX, include_in_schema=False)


def _auth(request: Request) -> PageAuth:
    auth: PageAuth = request.app.state.pages
    return auth


def lang_of(request: Request) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if asked == "en" else "da"


def _switch_url(request: Request, lang: Lang) -> str:
    params = dict(request.query_params)
    params["lang"] = "da" if lang == "en" else "en"
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request, template: str, code: int = 200, caller: Principal | None = None, **context: Any
) -> HTMLResponse:
    lang = lang_of(request)
    session = request.cookies.get(SESSION_COOKIE, "")
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": translator(lang),
            "num": lambda value: number(value, lang),
            "lang": lang,
            "switch_url": _switch_url(request, lang),
            "caller": caller,
            "csrf": _auth(request).csrf_for(session) if session else "",
            "prefix": PAGE_PREFIX,
            **context,
        },
        status_code=code,
    )
    if request.query_params.get("lang") in ("da", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, secure=True, httponly=True, samesite="lax")
    return response


def refusal(request: Request, caller: Principal | None, exc: Exception) -> HTMLResponse:
    if isinstance(exc, Forbidden):
        return render(request, "message.html", 403, caller, message="forbidden")
    return render(request, "message.html", 404, caller, message="not_found")


async def checked_form(request: Request) -> dict[str, Any] | None:
    """The posted form if its CSRF token belongs to this session; None otherwise."""
    form = await request.form()
    fields: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    fields["_licences"] = [v for v in form.getlist("licence") if isinstance(v, str)]
    fields["_certificates"] = [v for v in form.getlist("certificate") if isinstance(v, str)]
    fields["_kept_slots"] = [v for v in form.getlist("kept_slot") if isinstance(v, str)]
    fields["_slot_options"] = [v for v in form.getlist("slot_option") if isinstance(v, str)]
    session = request.cookies.get(SESSION_COOKIE, "")
    return fields if _auth(request).csrf_ok(session, str(fields.get("csrf", ""))) else None


def _deps(request: Request) -> IntakeDeps:
    deps: IntakeDeps = request.app.state.deps
    return deps


def _reads(request: Request) -> reads.ReadDeps:
    deps: reads.ReadDeps = request.app.state.reads
    return deps


def _correlation() -> str:
    return f"page-{uuid.uuid4().hex[:16]}"


# Sign-in ------------------------------------------------------------------------------------------


@router.get("/login")
async def sign_in_page(request: Request) -> HTMLResponse:
    token = uuid.uuid4().hex
    response = render(
        request,
        "login.html",
        identities=DEMO_IDENTITIES,
        local=_auth(request).local_sign_in,
        signin_csrf=token,
        next=safe_next(request.query_params.get("next")),
    )
    response.set_cookie(SIGN_IN_CSRF_COOKIE, token, max_age=3600, secure=True, httponly=True, samesite="strict")
    return response


@router.post("/login")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    auth = _auth(request)
    expected = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    if not expected or form.get("csrf") != expected:
        return render(request, "message.html", 403, message="csrf_failed")
    identity = next((i for i in DEMO_IDENTITIES if i.key == form.get("identity")), None)
    if identity is None or not auth.local_sign_in:
        return render(request, "message.html", 403, message="forbidden")
    response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        auth.mint(identity),
        max_age=SESSION_HOURS * 3600,
        secure=auth.secure_cookie,
        httponly=True,
        samesite="strict",
        path=PAGE_PREFIX,
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def sign_out(request: Request) -> Response:
    form = await request.form()
    session = request.cookies.get(SESSION_COOKIE, "")
    response = RedirectResponse(f"{PAGE_PREFIX}/login", status_code=303)
    if session and _auth(request).csrf_ok(session, str(form.get("csrf", ""))):
        response.delete_cookie(SESSION_COOKIE, path=PAGE_PREFIX, secure=True, httponly=True, samesite="strict")
    return response


@router.get("")
async def home(caller: Caller) -> RedirectResponse:
    staff = caller.role in (Role.CASEWORKER, Role.ADMIN)
    return RedirectResponse(f"{PAGE_PREFIX}/{'caseload' if staff else 'opportunities'}", status_code=303)


# Caseworker ---------------------------------------------------------------------------------------


@router.get("/caseload")
async def caseload(request: Request, caller: Caller) -> HTMLResponse:
    p = request.query_params
    status = p.get("status") if p.get("status") in STATUSES else None
    page_no = int(p["page"]) if p.get("page", "").isdigit() and int(p["page"]) > 0 else 1
    # Those with proposals waiting for the caseworker first (most first), then the newest.
    query = CaseQuery(q=p.get("q", "")[:100], status=status, sort="-waiting", page=page_no)  # type: ignore[arg-type]
    try:
        found = await reads.caseload_page(_reads(request), caller, query, None, _correlation())
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    return render(request, "caseload.html", caller=caller, page=found, q=query.q, status=status, statuses=STATUSES)


def _form_context(
    values: dict[str, Any],
    errors: dict[str, str],
    lang: Lang,
    *,
    rows: dict[str, int] | None = None,
    citizen_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    rows = rows or forms.row_counts(None)
    return {
        "v": values,
        "errors": {field: error_text(kind, lang) for field, kind in errors.items()},
        "days": forms.DAYS,
        "parts": tuple(forms.PARTS),
        "kinds": forms.KINDS,
        "job_fields": range(1, _posted_rows(values, "job{n}_title", rows["jobs"]) + 1),
        "skill_fields": range(1, _posted_rows(values, "skill{n}", rows["skills"]) + 1),
        "test_fields": range(1, _posted_rows(values, "test{n}", rows["tests"]) + 1),
        "tests": forms.TESTS,
        "licences": forms.LICENCES,
        "certificates": forms.CERTIFICATES,
        "cefr": forms.CEFR,
        "genders": forms.GENDERS,
        "origins": forms.ORIGINS,
        "flags": forms.FLAGS,
        "kept_slots": [(c, parsed) for c in values.get("_slot_options", []) if (parsed := forms.parse_kept_slot(c))],
        "citizen_id": citizen_id,
    }


def _posted_rows(values: dict[str, Any], key: str, at_least: int) -> int:
    """A form shown again keeps every row that was posted (an edit form may have had more)."""
    return max([at_least, *forms.posted_rows(values, key)])


@router.get("/citizens/new")
async def intake_form(request: Request, caller: Caller) -> HTMLResponse:
    if caller.role not in (Role.CASEWORKER, Role.ADMIN):
        return refusal(request, caller, Forbidden("staff only"))
    defaults = {"form_id": uuid.uuid4().hex, "bike": "on", "public_transport": "on", "max_commute": "45"}
    return render(request, "intake.html", caller=caller, **_form_context(defaults, {}, lang_of(request)))


@router.post("/citizens")
async def submit_intake(request: Request, caller: Caller) -> Response:
    form = await checked_form(request)
    if form is None:
        return render(request, "message.html", 403, caller, message="csrf_failed")
    if caller.role not in (Role.CASEWORKER, Role.ADMIN):
        return refusal(request, caller, Forbidden("staff only"))
    municipality = caller.municipality or "316"
    profile, errors = forms.validate(forms.profile_payload(form, municipality))
    if profile is None:
        context = _form_context(form, errors, lang_of(request))
        return render(request, "intake.html", 422, caller, **context)
    req = handlers.Request(correlation_id=_correlation(), caller=caller, idempotency_key=f"page-{form.get('form_id')}")
    try:
        result = await handlers.submit_profile(_deps(request), req, profile, profile.model_dump_json().encode())
    except PersonalNumberFound:
        return render(
            request, "intake.html", 422, caller, **_form_context(form, {"form": "personal_number"}, lang_of(request))
        )
    except handlers.IdempotencyConflict:  # saved once, then changed in the browser and sent again
        return render(request, "message.html", 409, caller, message="already_registered")
    except Forbidden as exc:
        return refusal(request, caller, exc)
    return RedirectResponse(f"{PAGE_PREFIX}/citizens/{result['citizen_id']}", status_code=303)


async def _stored(
    request: Request, caller: Principal, citizen_id: uuid.UUID
) -> tuple[CaseEntry, CitizenProfile] | HTMLResponse:
    """The stored profile an edit form shows or is saved over, or the page that says why there is none."""
    if caller.role not in (Role.CASEWORKER, Role.ADMIN):
        return refusal(request, caller, Forbidden("staff only"))
    try:
        found = await reads.citizen_profile(_reads(request), caller, citizen_id, _correlation())
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    return found or render(request, "message.html", 409, caller, message="pending_profile")


@router.get("/citizens/{citizen_id}/edit")
async def edit_form(request: Request, citizen_id: uuid.UUID, caller: Caller) -> HTMLResponse:
    """The intake form filled with the stored profile (every field it has), to correct or update it."""
    found = await _stored(request, caller, citizen_id)
    if isinstance(found, HTMLResponse):
        return found
    entry, profile = found
    values = {**forms.form_values(profile), "form_id": uuid.uuid4().hex, "based_on": entry.updated_at.isoformat()}
    context = _form_context(values, {}, lang_of(request), rows=forms.row_counts(profile), citizen_id=citizen_id)
    return render(request, "intake.html", caller=caller, **context)


@router.post("/citizens/{citizen_id}/edit")
async def submit_edit(request: Request, citizen_id: uuid.UUID, caller: Caller) -> Response:
    """Save an edited profile. Refused when someone saved the profile after this form was opened (the
    form comes back with the posted values, so the caseworker can compare and save again)."""
    form = await checked_form(request)
    if form is None:
        return render(request, "message.html", 403, caller, message="csrf_failed")
    found = await _stored(request, caller, citizen_id)
    if isinstance(found, HTMLResponse):
        return found
    entry, stored = found
    rows = forms.row_counts(stored)

    def again(code: int, errors: dict[str, str], values: dict[str, Any] | None = None) -> HTMLResponse:
        """The form back with what was posted (or `values`) and the errors."""
        context = _form_context(values or form, errors, lang_of(request), rows=rows, citizen_id=citizen_id)
        return render(request, "intake.html", code, caller, **context)

    profile, errors = forms.validate(forms.profile_payload(form, stored.municipality_code, base=stored))
    if profile is None:
        return again(422, errors)
    body = profile.model_dump_json().encode()
    req = handlers.Request(
        correlation_id=_correlation(), caller=caller, idempotency_key=f"page-edit-{form.get('form_id')}"
    )
    saved = RedirectResponse(f"{PAGE_PREFIX}/citizens/{citizen_id}?notice=profile_saved", status_code=303)
    current = entry.updated_at.isoformat()
    if form.get("based_on") != current:
        if await handlers.profile_update_done(_deps(request), req, citizen_id, body):
            return saved  # a double click: the first click's save is what changed the profile
        # A fresh form id too: saving again is a new request, not a retry of the one refused.
        return again(409, {"form": "changed_meanwhile"}, {**form, "based_on": current, "form_id": uuid.uuid4().hex})
    try:
        await handlers.update_profile(_deps(request), req, citizen_id, profile, body)
    except PersonalNumberFound:
        return again(422, {"form": "personal_number"})
    except handlers.IdempotencyConflict:  # this form was saved once, then changed and sent again
        return again(409, {"form": "already_saved"}, {**form, "form_id": uuid.uuid4().hex})
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    return saved


@router.get("/citizens/{citizen_id}")
async def citizen_page(request: Request, citizen_id: uuid.UUID, caller: Caller) -> HTMLResponse:
    deps, read = _deps(request), _reads(request)
    correlation = _correlation()
    try:
        found = await reads.citizen_profile(read, caller, citizen_id, correlation)
        ranking = await handlers.proposals_for(deps, caller, citizen_id)
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    actor = Actor(role=caller.role.value, subject=caller.subject)
    await privacy_use_cases.record_staff_read(read.privacy, actor, citizen_id, "proposals", correlation)
    lifecycle: lifecycle_views.ViewDeps = request.app.state.lifecycle
    entries = await lifecycle_views.of_citizen(lifecycle, citizen_id, staff=True)
    current = {p.proposal_id for p in (*ranking.proposals, *ranking.associations)} if ranking else set()
    return render(
        request,
        "citizen.html",
        caller=caller,
        citizen_id=citizen_id,
        entry=found[0] if found else None,
        profile=found[1] if found else None,
        ranking=ranking,
        # "Why not" is for staff only, as the API serves it (never to the citizen or an owner).
        show_near_misses=caller.role in (Role.CASEWORKER, Role.ADMIN),
        states={e.proposal_id: e for e in entries},
        follow_ups={e.proposal_id for e in entries if _job_started(e)},
        earlier=[e for e in entries if e.proposal_id not in current and e.proposal is not None],
        notice=request.query_params.get("notice"),
        today=dt.date.today().isoformat(),
    )


def _job_started(entry: lifecycle_views.LifecycleEntry) -> bool:
    """The employment follow-up form belongs on jobs that started (not on placements, steps or associations)."""
    steps = [(h.to_state, h.date, h.outcome) for h in entry.history]
    return kpi_use_cases.job_started_on(entry.kind, steps) is not None


@router.post("/citizens/{citizen_id}/match")
async def ask_match(request: Request, citizen_id: uuid.UUID, caller: Caller) -> Response:
    form = await checked_form(request)
    if form is None:
        return render(request, "message.html", 403, caller, message="csrf_failed")
    req = handlers.Request(correlation_id=_correlation(), caller=caller)
    try:
        await handlers.request_match(_deps(request), req, citizen_id, 10, b"")
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    return RedirectResponse(f"{PAGE_PREFIX}/citizens/{citizen_id}?notice=match_asked", status_code=303)


@router.get("/esco/suggest")
async def esco_suggest(request: Request, caller: Caller) -> JSONResponse:
    """The autocomplete's data for the page's script (the API itself takes bearer tokens only)."""
    q = request.query_params.get("q", "")[:100]
    kind = "skill" if request.query_params.get("kind") == "skill" else "occupation"
    if caller.role is Role.CITIZEN or not q.strip():
        return JSONResponse({"q": q, "kind": kind, "suggestions": []})
    try:
        found = await suggestions(request, q, kind, 8)
    except SuggestUnavailable:
        return JSONResponse(status_code=503, content={"error": "suggest_unavailable", "suggestions": []})
    return JSONResponse(found.model_dump())


# Opportunities -----------------------------------------------------------------------------------


@router.get("/opportunities")
async def opportunities(request: Request, caller: Caller) -> HTMLResponse:
    p = request.query_params
    kind = OpportunityKind(p["kind"]) if p.get("kind") in set(OpportunityKind) else None
    query = CatalogueQuery(kind=kind, town=p.get("town", "")[:100], q=p.get("q", "")[:100], per_page=100)
    try:
        found, total = await reads.catalogue_page(_reads(request), caller, query)
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    return render(
        request,
        "opportunities.html",
        caller=caller,
        entries=found,
        total=total,
        kind=kind,
        kinds=list(OpportunityKind),
        town=query.town,
        q=query.q,
    )


@router.get("/opportunities/{opportunity_id}")
async def opportunity_page(request: Request, opportunity_id: uuid.UUID, caller: Caller) -> HTMLResponse:
    try:
        entry = await reads.opportunity(_reads(request), caller, opportunity_id)
        candidates = await handlers.candidates_for(_deps(request), caller, opportunity_id)
    except (Forbidden, NotFound) as exc:
        return refusal(request, caller, exc)
    answers: list[lifecycle_views.CandidateEntry] = []
    if caller.role in (Role.COMPANY, Role.ASSOCIATION):
        lifecycle: lifecycle_views.ViewDeps = request.app.state.lifecycle
        mine = await lifecycle_views.owner_view(lifecycle, owner_label(caller), companies=caller.role is Role.COMPANY)
        answers = [a for a in mine if a.opportunity_id == opportunity_id and a.proposal_id is not None]
    return render(
        request,
        "opportunity.html",
        caller=caller,
        entry=entry,
        candidates=candidates,
        answers=answers,
        today=dt.date.today().isoformat(),
    )


def include_pages(app: FastAPI, auth: PageAuth) -> None:
    from services.intake.entrypoints.pages import kpi_pages, steps  # they reuse this module's helpers

    app.state.pages = auth
    app.mount(f"{PAGE_PREFIX}/static", StaticFiles(directory=HERE / "static"), name="page-static")
    app.include_router(router)
    # Before the steps: `/proposals/{id}/follow-up` would otherwise match the steps' `/proposals/{id}/{step}`.
    app.include_router(kpi_pages.router)
    app.include_router(steps.router)
