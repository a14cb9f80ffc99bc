"""What an owner receives after the citizen's yes: the name and the ways to reach them, nothing more."""

from __future__ import annotations

from services.intake.domain.sharing import SHARED_FIELDS, shared_details
from shared.contracts import GeoPoint, PersonalData


def _person(**overrides: object) -> PersonalData:
    fields: dict[str, object] = {
        "name": "Amina Hassan",
        "email": "amina@example.org",
        "phone": "+45 20 30 40 50",
        "home": GeoPoint(lat=55.7, lon=11.7),
        "caseworker_note": "Bor hos familie.",
        "social_control_concern": False,
        **overrides,
    }
    return PersonalData(**fields)  # type: ignore[arg-type]


def test_an_owner_gets_the_name_email_and_phone_and_never_the_home_or_the_note() -> None:
    shared = shared_details(_person(), private=False).model_dump()
    assert {k for k, v in shared.items() if v} == set(SHARED_FIELDS)
    assert "Bor hos familie." not in str(shared) and "55.7" not in str(shared)


def test_a_private_channel_citizen_is_reached_through_the_jobcentre_like_one_without_contact_details() -> None:
    private = shared_details(_person(social_control_concern=True), private=True)
    unreachable = shared_details(_person(email=None, phone=None), private=False)
    assert private.model_dump() == unreachable.model_dump() | {"name": private.name}
    assert private.email is None and private.phone is None and private.contact_through_jobcentre
