"""A small world of two municipalities, two companies, two associations and their citizens, on a real intake."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from brobygger.infra import create_topics
from shared.settings import CommonSettings
from shared.topics import Topics
from tests.conftest import InfraHandle
from tests.helpers import bearer, eventually
from tests.samples import opportunity_payload, profile_payload

HOME = "316"  # Holbæk
AWAY = "101"  # København
COMPANY = "11111111"
OTHER_COMPANY = "22222222"
ASSOCIATION = "forening-a"
OTHER_ASSOCIATION = "forening-b"


def fresh_common(infra: InfraHandle) -> CommonSettings:
    """Own topics and Redis keys, as the `common` fixture makes them, for fixtures wider than one test."""
    namespace = f"t{uuid.uuid4().hex[:10]}."
    create_topics(infra.kafka_bootstrap, list(Topics(prefix=namespace).all()))
    return CommonSettings(namespace=namespace)


def association_payload(association_id: str = ASSOCIATION, **overrides: Any) -> dict[str, Any]:
    return opportunity_payload(
        kind="association_activity",
        owner={"type": "association", "association_id": association_id, "name": "Forening (test)"},
        association={"activity_type": "sports", "language_friendly": True},
        **overrides,
    )


@dataclass
class World:
    """Resources registered by an admin; `headers(kind)` gives a token of each kind of caller."""

    api: str
    citizen: str = ""  # of HOME
    other_citizen: str = ""  # of AWAY
    opportunity: str = ""  # company COMPANY's, in HOME
    association_opportunity: str = ""  # association ASSOCIATION's, in HOME
    admin: dict[str, str] = field(default_factory=lambda: bearer("admin", "sec-admin"))

    async def seed(self, client: httpx.AsyncClient) -> None:
        self.citizen = await self.new_citizen(client)
        self.other_citizen = await self.new_citizen(client, AWAY)
        self.opportunity = await self.new_opportunity(client)
        self.association_opportunity = await self.new_opportunity(client, association_payload())
        await self.read_back(client)

    async def read_back(self, client: httpx.AsyncClient) -> None:
        """Wait until intake's read models (built from the topics) hold what was seeded."""
        for path in (
            f"/v1/citizens/{self.citizen}",
            f"/v1/citizens/{self.other_citizen}",
            f"/v1/opportunities/{self.opportunity}",
            f"/v1/opportunities/{self.association_opportunity}",
        ):

            async def readable(path: str = path) -> bool:
                return (await client.get(f"{self.api}{path}", headers=self.admin)).status_code == 200

            await eventually(readable, 30, f"{path} in the read models")

    async def new_citizen(self, client: httpx.AsyncClient, municipality: str = HOME) -> str:
        r = await client.post(
            f"{self.api}/v1/citizens", json=profile_payload(municipality_code=municipality), headers=self.admin
        )
        assert r.status_code == 202, r.text
        return str(r.json()["citizen_id"])

    async def new_opportunity(self, client: httpx.AsyncClient, payload: dict[str, Any] | None = None) -> str:
        payload = payload or opportunity_payload(owner={"type": "company", "cvr": COMPANY, "name": "Firma (test)"})
        r = await client.post(f"{self.api}/v1/opportunities", json=payload, headers=self.admin)
        assert r.status_code == 202, r.text
        return str(r.json()["opportunity_id"])

    def headers(self, kind: str, citizen: str | None = None) -> dict[str, str]:
        """A valid token of one kind of caller, relative to the world's HOME citizen and company opportunity."""
        tokens = {
            "admin": lambda: bearer("admin", "sec-admin"),
            "caseworker_home": lambda: bearer("caseworker", "cw-home", HOME),
            "caseworker_away": lambda: bearer("caseworker", "cw-away", AWAY),
            "company_owner": lambda: bearer("company", COMPANY),
            "company_other": lambda: bearer("company", OTHER_COMPANY),
            "association_other": lambda: bearer("association", OTHER_ASSOCIATION),
            "citizen_self": lambda: bearer("citizen", citizen or self.citizen),
            "citizen_other": lambda: bearer("citizen", self.other_citizen),
        }
        return tokens[kind]()


CALLER_KINDS = (
    "admin",
    "caseworker_home",
    "caseworker_away",
    "company_owner",
    "company_other",
    "association_other",
    "citizen_self",
    "citizen_other",
)
