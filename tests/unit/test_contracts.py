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
    DeliveryFailed,
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
    OwnerWebhookRegistered,
    Proposal,
    ProposalDeclined,
    ProposalTransitioned,
    Reasons,
    Sealed,
    SealedCitizenProfileSubmitted,
    SealedCitizenProfileUpdated,
    SealedConsentWithdrawn,
    SealedEmploymentFollowUpRecorded,
    SealedMatchProposed,
    SealedProposalDeclined,
    SealedProposalTransitioned,
    SealedSecret,
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
    sealed = Sealed(key_id=f"c1:{cid}", nonce="AAAAAAAAAAAAAAAA", ciphertext="c2VhbGVk")
    return [
        SealedCitizenProfileSubmitted(correlation_id=corr, citizen_id=cid, sealed=sealed),
        SealedCitizenProfileUpdated(correlation_id=corr, citizen_id=cid, sealed=sealed),
        SealedEmploymentFollowUpRecorded(correlation_id=corr, citizen_id=cid, sealed=sealed),
        SealedProposalDeclined(correlation_id=corr, citizen_id=cid, sealed=sealed),
        SealedMatchProposed(correlation_id=corr, citizen_id=cid, sealed=sealed),
        SealedProposalTransitioned(
            correlation_id=corr,
            citizen_id=cid,
            sealed=sealed,
            proposal_id=uuid.uuid4(),
            opportunity_id=oid,
            kind=OpportunityKind.LANGUAGE_PLACEMENT,
            to_state="accepted",
            releases_capacity=False,
            commits_capacity=True,
        ),
        SealedConsentWithdrawn(correlation_id=corr, citizen_id=cid, sealed=sealed),
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
        DeliveryFailed(
            correlation_id=corr,
            citizen_id=cid,
            proposal_ids=[proposal.proposal_id],
            recipient="owner",
            channel="webhook",
            attempts=8,
            reason="the receiver answered HTTP 503",
        ),
        OwnerWebhookRegistered(
            correlation_id=corr,
            owner="company:12345678",
            registration_id=uuid.uuid4(),
            url="https://hr.example.dk/brobygger",
            secret=SealedSecret(nonce="bm9uY2U=", ciphertext="c2VhbGVk"),
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


def test_derived_ids_encode_their_parts_so_no_two_part_lists_collide() -> None:
    # The probe: a subject with `|` made one caseworker's citizen id equal another's.
    assert derive_id("idempotency", "caseworker:a|k", "1") != derive_id("idempotency", "caseworker:a", "k|1")
    assert derive_id("a\\", "|b") != derive_id("a\\|", "b")
    assert derive_id("x|", "y") != derive_id("x", "|y")


def test_derived_ids_without_separators_in_their_parts_are_unchanged() -> None:
    # Ids already on the topics (proposal ids, event ids) keep their values.
    trigger = uuid.UUID("00000000-0000-0000-0000-000000000001")
    assert derive_id("proposal", trigger, "o") == uuid.uuid5(
        uuid.UUID("6f1e3c52-8a59-4d0e-9b1c-3f5a7f0d2b10"), f"proposal|{trigger}|o"
    )


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
    assert "control character U+" in first["msg"]


def test_a_caseworker_note_may_span_lines() -> None:
    payload = profile_payload()
    payload["personal"]["caseworker_note"] = "Første linje.\nAnden linje."
    assert CitizenProfile.model_validate(payload).personal_data().caseworker_note.count("\n") == 1


@pytest.mark.parametrize(
    "bad",
    [
        "Jobcentret \u202eHolbæk\u202c",  # right-to-left override, pop
        "Jobcentret \u202aHolbæk",  # left-to-right embedding
        "Jobcentret \u2066Holbæk\u2069",  # isolates
        "Jobcen\u200btret",  # zero-width space
        "Jobcentret\ufeff",  # zero-width no-break space
        "Jobcentret \x85Holbæk",  # C1 next line
        "Jobcentret \x9bHolbæk",  # C1 control sequence introducer
    ],
)
def test_an_owner_name_that_disguises_itself_is_refused_naming_the_field_and_the_character(bad: str) -> None:
    payload = opportunity_payload()
    payload["owner"]["name"] = bad
    with pytest.raises(ValidationError) as err:
        Opportunity.model_validate(payload)
    error = err.value.errors()[0]
    assert error["loc"] == ("owner", "name")
    assert "U+" in error["msg"]


def test_names_that_need_zwnj_and_zwj_are_kept() -> None:
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 Zahra"  # ZWNJ inside a Persian word
    kurdish = "Kurdistan\u200dî"
    payload = profile_payload()
    payload["personal"]["name"] = persian
    payload["interests"] = [kurdish]
    profile = CitizenProfile.model_validate(payload)
    assert profile.personal_data().name == persian and profile.interests == [kurdish]


def test_text_is_stored_in_nfc_so_one_name_has_one_spelling() -> None:
    decomposed = "Holbe\u0301k A\u030a"  # e + combining acute, A + combining ring
    opportunity = Opportunity.model_validate(opportunity_payload(title=decomposed))
    assert opportunity.title == "Holbék Å"


def test_a_caseworker_note_keeps_lines_but_not_bidi_overrides() -> None:
    payload = profile_payload()
    payload["personal"]["caseworker_note"] = "Linje et.\nLinje \u202eto"
    with pytest.raises(ValidationError) as err:
        CitizenProfile.model_validate(payload)
    loc = err.value.errors()[0]["loc"]
    assert loc[0] == "personal" and loc[-1] == "caseworker_note"
