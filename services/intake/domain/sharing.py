"""What an owner learns about a candidate, before and after the citizen's yes.

Before the yes: nothing that names or reaches the person (a pseudonym and the fit; companies only,
and only where the municipality keeps that list). After the yes (`shared` and later): the name and
the ways to reach the citizen, and nothing else of the profile. Never: the address or home position,
the caseworker's note, a social-control concern, gender, origin or age, nor other proposals. A citizen
on the private channel is reached through the jobcentre: the owner gets the name, not the e-mail or phone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import PersonalData

#: The fields of the personal part an owner receives after the citizen's yes (README: "What an owner sees").
SHARED_FIELDS = ("name", "email", "phone")


class SharedDetails(BaseModel):
    """The details the citizen agreed to share with the owner by saying yes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    email: str | None = None
    phone: str | None = None
    contact_through_jobcentre: bool = Field(
        default=False, description="Reach this citizen through their caseworker at the jobcentre, not directly."
    )


def shared_details(personal: PersonalData, *, private: bool) -> SharedDetails:
    """The shared part of `personal`; a private-channel citizen's contact details stay with the jobcentre."""
    # The same answer for a citizen who has no e-mail or phone: "through the jobcentre" alone does not
    # single out the private channel.
    if private or not (personal.email or personal.phone):
        return SharedDetails(name=personal.name, contact_through_jobcentre=True)
    return SharedDetails(name=personal.name, email=personal.email, phone=personal.phone)
