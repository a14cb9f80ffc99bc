"""Topic names and partition counts, in one place.

The local broker cannot add partitions later, so every topic starts with enough for several
matcher instances. Keys: citizen topics by citizen id, opportunity topics by opportunity id.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTITIONS = 6


@dataclass(frozen=True)
class Topics:
    """Topic names under an optional namespace prefix (tests give each run its own)."""

    prefix: str = ""

    @property
    def citizens(self) -> str:
        return f"{self.prefix}brobygger.citizens.v1"

    @property
    def opportunities(self) -> str:
        return f"{self.prefix}brobygger.opportunities.v1"

    @property
    def proposals(self) -> str:
        return f"{self.prefix}brobygger.proposals.v1"

    @property
    def notifications(self) -> str:
        return f"{self.prefix}brobygger.notifications.v1"

    @property
    def owners(self) -> str:
        """Owners' webhook registrations, keyed by owner (`company:<cvr>`, `association:<id>`)."""
        return f"{self.prefix}brobygger.owners.v1"

    @property
    def audit(self) -> str:
        return f"{self.prefix}brobygger.audit.v1"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}brobygger.deadletter.v1"

    def all(self) -> tuple[str, ...]:
        return (
            self.citizens,
            self.opportunities,
            self.proposals,
            self.notifications,
            self.owners,
            self.audit,
            self.dead_letters,
        )

    def group(self, service: str, purpose: str) -> str:
        """Consumer group id: one per service and subscription, so groups never mix topics."""
        return f"{self.prefix}brobygger.{service}.{purpose}"
