"""JSON Schemas of every contract, and an AsyncAPI 3.0 document of the services built from them."""

from __future__ import annotations

from typing import Any

from shared.contracts import (
    ALL_EVENTS,
    AuditRecorded,
    CitizenErased,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    DeadLetter,
    Event,
    MatchProposed,
    MatchRequested,
    NotificationSent,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    ProposalDeclined,
)
from shared.topics import PARTITIONS, Topics


def json_schemas() -> dict[str, dict[str, Any]]:
    """Contract name -> JSON Schema."""
    return {event.__name__: event.model_json_schema(mode="serialization") for event in ALL_EVENTS}


_CHANNELS: dict[str, tuple[str, str, tuple[type[Event], ...]]] = {
    # channel id: (topic attribute, message key, events)
    "citizens": (
        "citizens",
        "citizen id",
        (CitizenProfileSubmitted, CitizenProfileUpdated, CitizenErased, MatchRequested, ProposalDeclined),
    ),
    "opportunities": (
        "opportunities",
        "opportunity id",
        (OpportunityRegistered, OpportunityUpdated, OpportunityWithdrawn),
    ),
    "proposals": ("proposals", "citizen id", (MatchProposed,)),
    "notifications": ("notifications", "citizen id", (NotificationSent,)),
    "audit": ("audit", "citizen id", (AuditRecorded,)),
    "deadLetters": ("dead_letters", "the failed record's key", (DeadLetter,)),
}

# service -> (operation, action, channel)
_OPERATIONS: list[tuple[str, str, str]] = [
    ("intake", "send", "citizens"),
    ("intake", "send", "opportunities"),
    ("intake", "receive", "proposals"),
    ("matcher", "receive", "citizens"),
    ("matcher", "receive", "opportunities"),
    ("matcher", "send", "proposals"),
    ("notifier", "receive", "citizens"),
    ("notifier", "receive", "proposals"),
    ("notifier", "send", "notifications"),
    ("intake", "send", "audit"),
]


def asyncapi(topics: Topics | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document: channels are topics, messages are the event contracts."""
    topics = topics or Topics()
    schemas = json_schemas()
    components: dict[str, Any] = {"messages": {}, "schemas": {}}
    channels: dict[str, Any] = {}
    for channel_id, (attr, key, events) in _CHANNELS.items():
        messages = {}
        for event in events:
            name = event.__name__
            components["schemas"][name] = schemas[name]
            components["messages"][name] = {
                "name": name,
                "title": name,
                "summary": (event.__doc__ or "").strip().splitlines()[0] if event.__doc__ else name,
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{name}"},
                "headers": {
                    "type": "object",
                    "properties": {
                        "event-type": {"type": "string", "const": name},
                        "correlation-id": {"type": "string"},
                    },
                },
            }
            messages[name] = {"$ref": f"#/components/messages/{name}"}
        channels[channel_id] = {
            "address": getattr(topics, attr),
            "description": f"Kafka topic, {PARTITIONS} partitions, keyed by {key}.",
            "messages": messages,
        }
    operations = {
        f"{service}.{action}.{channel}": {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{service} {'publishes to' if action == 'send' else 'consumes'} {channel}",
        }
        for service, action, channel in _OPERATIONS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Brobygger",
            "version": "0.1.0",
            "description": "Events between intake, matcher and notifier. "
            "This service uses the ESCO classification of the European Commission.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "The embedded local broker"}
        },
        "channels": channels,
        "operations": operations,
        "components": components,
    }
