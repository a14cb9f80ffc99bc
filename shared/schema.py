"""JSON Schemas of every contract (`brobygger schema`).

The AsyncAPI document is not written here: FastStream generates it from the services' subscribers
and publishers (`brobygger schema --asyncapi`, see brobygger/asyncapi.py).
"""

from __future__ import annotations

from typing import Any

from shared.contracts import ALL_EVENTS


def json_schemas() -> dict[str, dict[str, Any]]:
    """Contract name -> JSON Schema."""
    return {event.__name__: event.model_json_schema(mode="serialization") for event in ALL_EVENTS}
