"""Every event round-trips through JSON, and every schema exports."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from pydantic import ValidationError

from brobygger.asyncapi import asyncapi
from shared.contracts import (
    ALL_EVENTS,
    AuditRecorded,
    CitizenErased,
    CitizenProfile,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    ConsentWithdrawn,
    DeadLetter,
    EmploymentFollowUpRecorded,
    Event,
    MatchProposed,
    MatchRequested,
    NotificationSent,
    Opportunity,
    OpportunityKind,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    Proposal,
    ProposalDeclined,
    ProposalTransitioned,
    Reasons,
    citizen_event_adapter,
    derive_id,
    opportunity_event_adapter,
)
from shared.schema import json_schemas
from tests.samples import opportunity_payload, profile_payload


def _examples() -> list[Event]:
    profile = CitizenProfile.model_validate(profile_payload())
    opportunity = Opportunity.model_validate(opportunity_payload())
    cid, oid, corr = uuid.uuid4(), uuid.uuid4(), "req-test"
    reasons = Reasons(rule="ordinary_employment_first", text_da="Et job.", text_en="A job.", commute_km=3.2)
    proposal = Proposal(
        proposal_id=derive_id("p", oid),
        opportunity_id=oid,
        kind=OpportunityKind.ORDINARY_JOB,
        title="Køkkenmedhjælper",
        owner_name="Demo ApS",
        town="Holbæk",
        score=0.8,
        rank=1,
        reasons=reasons,
    )
    return [
        CitizenProfileSubmitted(correlation_id=corr, citizen_id=cid, profile=profile),
        CitizenProfileUpdated(correlation_id=corr, citizen_id=cid, profile=profile),
        CitizenErased(correlation_id=corr, citizen_id=cid),
        MatchRequested(correlation_id=corr, citizen_id=cid, top_n=5),
        ProposalDeclined(
            correlation_id=corr, citizen_id=cid, proposal_id=uuid.uuid4(), opportunity_id=oid, by_role="citizen"
        ),
        OpportunityRegistered(correlation_id=corr, opportunity_id=oid, opportunity=opportunity),
        OpportunityUpdated(correlation_id=corr, opportunity_id=oid, opportunity=opportunity),
        OpportunityWithdrawn(correlation_id=corr, opportunity_id=oid, reason="filled"),
        MatchProposed(
            correlation_id=corr, citizen_id=cid, trigger_event_id=uuid.uuid4(), catalogue_size=1, proposals=[proposal]
        ),
        NotificationSent(
            correlation_id=corr,
            citizen_id=cid,
            match_event_id=uuid.uuid4(),
            channel="email",
            message_id="<x@y>",
            proposal_ids=[proposal.proposal_id],
        ),
        AuditRecorded(
            correlation_id=corr,
            actor_role="caseworker",
            actor_id="cw-1",
            action="override",
            citizen_id=cid,
            resource=str(proposal.proposal_id),
            reason="Borgeren har fået job.",
        ),
        ProposalTransitioned(
            correlation_id=corr,
            citizen_id=cid,
            proposal_id=uuid.uuid4(),
            opportunity_id=oid,
            kind=OpportunityKind.ORDINARY_JOB,
            action="retract",
            from_state="shared",
            to_state="retracted",
            actor_role="system",
            actor_id="intake",
            cause="consent_withdrawn",
            releases_capacity=True,
            owner_must_delete=True,
        ),
        ConsentWithdrawn(correlation_id=corr, citizen_id=cid, kinds=[OpportunityKind.ASSOCIATION_ACTIVITY]),
        EmploymentFollowUpRecorded(
            correlation_id=corr,
            citizen_id=cid,
            started_on=dt.date(2026, 2, 1),
            months=3,
            employed=True,
            recorded_by="cw-1",
        ),
        DeadLetter(
            correlation_id=corr,
            service="matcher",
            source_topic="t",
            source_partition=0,
            source_offset=3,
            key=str(cid),
            reason="field `x`: bad",
            payload_size=10,
        ),
    ]


def test_there_is_an_example_of_every_event() -> None:
    assert {type(e) for e in _examples()} == set(ALL_EVENTS)


@pytest.mark.parametrize("event", _examples(), ids=lambda e: type(e).__name__)
def test_every_event_round_trips_through_json(event: Event) -> None:
    again = type(event).model_validate_json(event.model_dump_json())
    assert again == event
    assert again.occurred_at.tzinfo is not None
    assert again.schema_version == 1


def test_citizen_and_opportunity_topics_decode_by_event_type() -> None:
    for event in _examples():
        raw = event.model_dump_json()
        if type(event).__name__ in {
            "CitizenProfileSubmitted",
            "CitizenProfileUpdated",
            "CitizenErased",
            "MatchRequested",
            "ProposalDeclined",
        }:
            assert citizen_event_adapter.validate_json(raw) == event
        if type(event).__name__.startswith("Opportunity"):
            assert opportunity_event_adapter.validate_json(raw) == event


def test_events_are_frozen() -> None:
    event = CitizenErased(correlation_id="c", citizen_id=uuid.uuid4())
    with pytest.raises(ValidationError):
        event.citizen_id = uuid.uuid4()  # type: ignore[misc]


def test_every_schema_exports_and_is_json() -> None:
    schemas = json_schemas()
    assert set(schemas) == {e.__name__ for e in ALL_EVENTS}
    for name, schema in schemas.items():
        assert schema["type"] == "object", name
        assert {"event_id", "occurred_at", "schema_version", "correlation_id"} <= set(schema["properties"]), name
    json.dumps(schemas)


def test_the_asyncapi_document_names_every_event_and_topic() -> None:
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    assert {e.__name__ for e in ALL_EVENTS} <= set(doc["components"]["schemas"])
    assert "brobygger.citizens.v1" in {c["address"] for c in doc["channels"].values()}


def test_personal_data_sits_in_one_nested_part() -> None:
    profile = CitizenProfile.model_validate(profile_payload())
    top_level = profile.model_dump()
    personal = top_level.pop("personal")
    assert {"name", "email", "phone", "home", "caseworker_note"} <= set(personal)
    flat = json.dumps(top_level, default=str)
    assert profile.personal.name not in flat and str(profile.personal.email) not in flat


def test_derived_ids_are_stable() -> None:
    trigger = uuid.uuid4()
    assert derive_id("proposal", trigger, "o") == derive_id("proposal", trigger, "o")
    assert derive_id("proposal", trigger, "o") != derive_id("proposal", trigger, "p")


def test_an_unknown_danish_level_is_named_in_the_error() -> None:
    with pytest.raises(ValidationError) as err:
        CitizenProfile.model_validate(profile_payload(danish={"level": "B9"}))
    assert err.value.errors()[0]["loc"] == ("danish", "level")


@pytest.mark.parametrize("bad", ["Amina\x00Hassan", "Amina\x1b[31m", "Amina\nHassan"])
def test_control_characters_in_a_name_are_refused(bad: str) -> None:
    payload = profile_payload()
    payload["personal"]["name"] = bad
    with pytest.raises(ValidationError) as err:
        CitizenProfile.model_validate(payload)
    first = err.value.errors()[0]
    assert first["loc"] == ("personal", "PersonalData", "name")
    assert "pattern" in first["msg"]


def test_a_caseworker_note_may_span_lines() -> None:
    payload = profile_payload()
    payload["personal"]["caseworker_note"] = "Første linje.\nAnden linje."
    assert CitizenProfile.model_validate(payload).personal_data().caseworker_note.count("\n") == 1
