"""The ranker screens only the positions it can use; the result is what screening everything gives.

At 100,000 opportunities the hard-rule masks (the commute above all) were most of a ranking's time,
while only a few hundred opportunities are relevant enough to be proposed. Screening those, every
education step and every association must change nothing a caseworker or citizen sees.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.matcher.domain import ranking
from services.matcher.domain.model import RankingResult
from services.matcher.domain.ranking import Ranker
from shared.contracts import CitizenProfile
from tests.unit.matcher.conftest import demo_catalogue
from tests.unit.matcher.trust_citizens import CITIZENS


def _seen(result: RankingResult) -> dict[str, Any]:
    """Everything a ranking hands on: ids, scores, reasons, near misses, associations, the opener."""
    return {
        "proposals": [(p.opportunity_id, p.score, p.reasons.model_dump()) for p in result.proposals],
        "associations": [(a.opportunity_id, a.score, a.reasons.model_dump()) for a in result.associations],
        "near_misses": [(n.opportunity_id, n.score, n.rule, n.text_da, n.text_en) for n in result.near_misses],
        "opener": (result.opener.opportunity_id, result.opener.opens) if result.opener else None,
    }


@pytest.mark.parametrize("name", sorted(CITIZENS))
def test_screening_only_the_usable_positions_ranks_as_screening_everything(
    ranker: Ranker, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = demo_catalogue()
    profile = CitizenProfile.model_validate(CITIZENS[name])
    subset = _seen(ranker.rank(profile, catalogue, top_n=10))
    monkeypatch.setattr(ranking, "_screened", lambda ci, relevance: None)  # screen every position
    everything = _seen(ranker.rank(profile, catalogue, top_n=10))
    assert subset == everything
    assert subset["proposals"] or subset["near_misses"] or subset["associations"]
