"""ESCO autocomplete on the matcher's internal port; intake proxies it to the intake form.

The suggester is built on the first request once the ranker is loaded (a few seconds, off the event
loop; it reads shared titles as the ranker's linker does), so a matcher that is never asked pays
nothing; until it is built the answer is 503 `suggest_loading`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from services.matcher.domain.suggest import Suggester
from shared.contracts.suggest import EscoSuggestion, EscoSuggestions, SuggestKind


class LazySuggester:
    """Builds the suggester once, in a thread, on first use."""

    def __init__(self, build: Callable[[], Suggester]) -> None:
        """`build` raises while what it needs is not loaded yet; the next request tries again."""
        self._build = build
        self._built: Suggester | None = None
        self._building: asyncio.Task[Suggester] | None = None

    def ready(self) -> Suggester | None:
        """The suggester if built; otherwise start building it and return None."""
        if self._built is None and self._building is None:
            self._building = asyncio.create_task(asyncio.to_thread(self._build))
            self._building.add_done_callback(self._done)
        return self._built

    async def get(self, wait_s: float) -> Suggester | None:
        """The suggester, waiting at most `wait_s` for a build in progress."""
        if (built := self.ready()) is not None:
            return built
        assert self._building is not None
        done, _ = await asyncio.wait({self._building}, timeout=wait_s)
        return self._built if done else None

    def _done(self, task: asyncio.Task[Suggester]) -> None:
        if not task.cancelled() and task.exception() is None:
            self._built = task.result()
        else:
            self._building = None  # a failed build is tried again on the next request


router = APIRouter(prefix="/internal/esco", tags=["internal"])


@router.get("/suggest", response_model=EscoSuggestions)
async def suggest(
    request: Request,
    q: Annotated[str, Query(max_length=100)],
    kind: SuggestKind = "occupation",
    limit: Annotated[int, Query(ge=1, le=25)] = 10,
    x_internal_token: Annotated[str | None, Header()] = None,
) -> EscoSuggestions | JSONResponse:
    """ESCO occupations or skills whose Danish or English labels fit what was typed (internal token required)."""
    if not request.app.state.common.internal_token_matches(x_internal_token):
        return JSONResponse(status_code=401, content={"error": "unauthorized", "message": "internal token required"})
    lazy: LazySuggester = request.app.state.suggester
    suggester = await lazy.get(wait_s=0.05)
    if suggester is None:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "2"},
            content={"error": "suggest_loading", "message": "the ESCO suggestions are being prepared; retry shortly"},
        )
    found = suggester.suggest(q, kind, limit)
    return EscoSuggestions(q=q, kind=kind, suggestions=[EscoSuggestion(**vars(s)) for s in found])
