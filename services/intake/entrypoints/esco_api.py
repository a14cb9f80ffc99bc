"""ESCO autocomplete for the intake form and for owners describing an opportunity (proxied to the matcher)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.intake.adapters.esco_client import EscoSuggestClient, SuggestUnavailable
from services.intake.domain.access import Forbidden, Role
from services.intake.entrypoints.deps import Caller
from shared.contracts.suggest import EscoSuggestions as Suggestions

router = APIRouter(prefix="/v1/esco", tags=["esco"])
SUGGEST_USERS = frozenset({Role.CASEWORKER, Role.COMPANY, Role.ASSOCIATION, Role.ADMIN})


async def suggestions(request: Request, q: str, kind: str, limit: int) -> Suggestions:
    client: EscoSuggestClient = request.app.state.esco
    return Suggestions.model_validate(await client.suggest(q, kind, limit))


@router.get("/suggest", response_model=Suggestions, responses={503: {"description": "The matcher did not answer."}})
async def suggest(
    request: Request,
    caller: Caller,
    q: Annotated[str, Query(max_length=100, description="What has been typed so far (under two letters: none).")] = "",
    kind: Literal["occupation", "skill"] = "occupation",
    limit: Annotated[int, Query(ge=1, le=25)] = 10,
) -> Suggestions | JSONResponse:
    """ESCO occupations or skills whose Danish or English labels fit `q` (typos forgiven), with their URIs."""
    if caller.role not in SUGGEST_USERS:
        raise Forbidden(f"the role `{caller.role.value}` may not use ESCO suggestions")
    if len(q.strip()) < 2:
        return Suggestions(q=q, kind=kind, suggestions=[])
    try:
        return await suggestions(request, q, kind, limit)
    except SuggestUnavailable as exc:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "2"},
            content={"error": "suggest_unavailable", "message": f"{exc}; type the text, or retry shortly"},
        )
