"""What a municipality decides about the lifecycle: which kinds skip approval, and the pre-yes candidate list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.contracts import OpportunityKind


@dataclass(frozen=True)
class MunicipalityRules:
    """`auto_approve` by municipality code, with `default_auto_approve` for every other municipality."""

    default_auto_approve: frozenset[OpportunityKind] = frozenset({OpportunityKind.ASSOCIATION_ACTIVITY})
    auto_approve: Mapping[str, frozenset[OpportunityKind]] = field(default_factory=dict)
    no_candidates_before_yes: frozenset[str] = frozenset()

    def auto_approves(self, municipality: str, kind: OpportunityKind) -> bool:
        """A proposal of this kind goes out without a caseworker's approval (the system approves it)."""
        return kind in self.auto_approve.get(municipality, self.default_auto_approve)

    def companies_see_candidates_before_yes(self, municipality: str | None) -> bool:
        """Companies see pseudonymous candidates before the citizen's yes, unless the municipality said no."""
        return municipality not in self.no_candidates_before_yes
