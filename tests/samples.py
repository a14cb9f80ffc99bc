"""Valid payloads to start from; tests change one field at a time."""

from __future__ import annotations

import uuid
from typing import Any


def profile_payload(**overrides: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    payload: dict[str, Any] = {
        "personal": {
            "name": f"Testperson {tag}",
            "email": f"citizen-{tag}@example.org",
            "phone": "+45 20 30 40 50",
            "home": {"lat": 55.7158, "lon": 11.7128},
        },
        "home_postcode": "4300",
        "home_town": "Holbæk",
        "danish": {
            "course": "DU2",
            "module": 3,
            "level": "A2",
            "class_times": [{"day": "tue", "start": "08:30", "end": "11:45"}],
        },
        "other_languages": [{"language": "ar", "level": "native"}],
        "previous_jobs": [{"title": "rengøringsassistent", "years": 3}],
        "skills": [{"text": "rengøring"}, {"text": "køkken"}],
        "interests": ["fodbold"],
        "availability": {"hours_per_week": 30},
        "transport": {"bike": True, "public_transport": True, "max_commute_minutes": 45},
        "consent": {
            "ordinary_job": True,
            "language_placement": True,
            "education_step": True,
            "association_activity": True,
        },
        "preferred_language": "da",
        "audit": {"gender": "female", "origin_group": "refugee", "age_band": "30-39"},
    }
    payload.update(overrides)
    return payload


def opportunity_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "ordinary_job",
        "owner": {"type": "company", "cvr": "12345678", "name": "Testvirksomhed ApS (demo)"},
        "title": "Rengøringsassistent",
        "occupation_text": "rengøring",
        "skills": ["rengøring", "køkken"],
        "location": {"town": "Holbæk", "postcode": "4300", "point": {"lat": 55.7170, "lon": 11.7200}},
        "schedule": {"hours_per_week": 25, "slots": [{"day": "mon", "start": "06:00", "end": "11:00"}]},
        "min_danish_level": "A1",
        "capacity": 2,
    }
    payload.update(overrides)
    return payload
