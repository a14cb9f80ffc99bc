"""Malformed input is refused with a message naming the field or limit, and nothing reaches Kafka."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e


def _without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


BAD_PROFILES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown Danish level", profile_payload(danish={"level": "B9"}), "danish.level"),
    ("hours as text", profile_payload(availability={"hours_per_week": "many"}), "availability.hours_per_week"),
    ("negative hours", profile_payload(availability={"hours_per_week": -5}), "availability.hours_per_week"),
    ("oversized name", profile_payload(personal={"name": "x" * 201}), "personal.name"),
    ("missing consent", _without(profile_payload(), "consent"), "consent"),
    (
        "consent not answered for one kind",
        profile_payload(consent={"ordinary_job": True}),
        "consent.language_placement",
    ),
    ("unknown field", profile_payload(religion="x"), "religion"),
    ("bad e-mail", profile_payload(personal={"name": "A", "email": "not-an-email"}), "personal.email"),
    ("bad postcode", profile_payload(home_postcode="43000"), "home_postcode"),
    (
        "class ends before it starts",
        profile_payload(danish={"class_times": [{"day": "mon", "start": "12:00", "end": "09:00"}]}),
        "danish.class_times.0",
    ),
    ("commute too long", profile_payload(transport={"max_commute_minutes": 999}), "transport.max_commute_minutes"),
]

BAD_OPPORTUNITIES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown kind", opportunity_payload(kind="dream_job"), "kind"),
    ("negative capacity", opportunity_payload(capacity=-1), "capacity"),
    ("company without CVR", opportunity_payload(owner={"type": "company", "name": "X"}), "owner"),
    ("required Danish level unknown", opportunity_payload(min_danish_level="D1"), "min_danish_level"),
    ("oversized title", opportunity_payload(title="t" * 500), "title"),
    ("placement without instrument", opportunity_payload(kind="language_placement"), "placement_type"),
    (
        "coordinates outside Denmark",
        opportunity_payload(location={"town": "X", "postcode": "4300", "point": {"lat": 10, "lon": 11}}),
        "location.point.lat",
    ),
]


async def test_malformed_profiles_and_opportunities_are_refused_and_never_published(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=("intake",)) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            for label, payload, field in BAD_PROFILES:
                r = await client.post("/v1/citizens", json=payload)
                assert r.status_code == 422, f"{label}: {r.status_code} {r.text}"
                assert field in r.json()["message"], f"{label}: {r.json()['message']}"
            for label, payload, field in BAD_OPPORTUNITIES:
                r = await client.post("/v1/opportunities", json=payload)
                assert r.status_code == 422, f"{label}: {r.status_code} {r.text}"
                assert field in r.json()["message"], f"{label}: {r.json()['message']}"

            r = await client.post(
                "/v1/citizens",
                content=b'{"personal": ' + b'"x' * 200_000 + b'"}',
                headers={"content-type": "application/json"},
            )
            assert (r.status_code, r.json()["error"]) == (413, "body_too_large")
            assert "256000 bytes" in r.json()["message"]
            r = await client.post("/v1/citizens", content=b"{not json", headers={"content-type": "application/json"})
            assert (r.status_code, r.json()["error"]) == (422, "invalid_input"), r.text
            r = await client.post("/v1/citizens", content=b"name=x", headers={"content-type": "text/plain"})
            assert (r.status_code, r.json()["error"]) == (415, "unsupported_media_type"), r.text
            r = await client.post("/v1/citizens", content=b"\xff\xfe{}", headers={"content-type": "application/json"})
            assert (r.status_code, r.json()["error"]) == (400, "invalid_utf8"), r.text
            r = await client.post("/v1/citizens", content=b"[" * 100_000, headers={"content-type": "application/json"})
            assert (r.status_code, r.json()["error"]) == (400, "too_deeply_nested"), r.text

    assert read_topic(infra.kafka_bootstrap, common.topics.citizens) == []
    assert read_topic(infra.kafka_bootstrap, common.topics.opportunities) == []
