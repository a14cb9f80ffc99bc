"""Contracts of the notifier's channels: owners' webhook registrations, failed deliveries, what owners receive.

`OwnerWebhookRegistered` travels on the owners topic (keyed by owner) from intake, which accepts the
registration, to the notifier, which delivers. The secret travels and rests sealed (AES-256-GCM under a
key derived from the key-encryption key, `BROBYGGER_KEK`, for this purpose alone); nobody but the
notifier opens it, and only to sign a delivery.
`DeliveryFailed` travels on the notifications topic: after the last retry a message is dead-lettered
and the caseworker's queue shows it, so a person can hand it over instead.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.contracts.common import Contract
from shared.contracts.events import Event
from shared.contracts.profile import PersonalData

#: `company:<cvr>` or `association:<id>`: whose registration it is.
OwnerRef = Annotated[str, StringConstraints(pattern=r"^(company:[0-9]{8}|association:[a-z0-9][a-z0-9\-]{1,63})$")]


class SealedSecret(Contract):
    """A webhook secret, encrypted; its associated data binds it to its owner and registration."""

    alg: Literal["AES-256-GCM"] = "AES-256-GCM"
    key_id: str | None = Field(
        default=None,
        max_length=64,
        description="Id of the KEK the sealing key was derived from. Absent only on secrets sealed under the "
        "retired `BROBYGGER_WEBHOOK_KEY`, which no longer open: the owner registers the webhook again.",
    )
    nonce: str = Field(max_length=64, description="Base64 nonce.")
    ciphertext: str = Field(max_length=512, description="Base64 AEAD ciphertext of the secret.")


class OwnerWebhookRegistered(Event):
    """An owner registered (or replaced, or removed) the webhook its candidate notices are posted to."""

    event_type: Literal["OwnerWebhookRegistered"] = "OwnerWebhookRegistered"
    owner: OwnerRef = Field(examples=["company:12345678"])
    registration_id: uuid.UUID = Field(description="Changes with every registration; the secret is bound to it.")
    url: str | None = Field(default=None, max_length=2000, description="HTTPS URL; null when the webhook is removed.")
    secret: SealedSecret | None = Field(default=None, description="The signing secret, sealed; null when removed.")


class DeliveryFailed(Event):
    """A message could not be delivered after its last retry (or can never be): dead-lettered with the reason."""

    event_type: Literal["DeliveryFailed"] = "DeliveryFailed"
    citizen_id: uuid.UUID
    proposal_ids: list[uuid.UUID]
    recipient: Literal["citizen", "owner"]
    channel: Literal["email", "webhook"]
    attempts: int = Field(ge=0)
    reason: str = Field(max_length=500, description="What went wrong; ids and error kinds only, never personal data.")


class SharedDetails(Contract):
    """The details the citizen agreed to share with the owner by saying yes."""

    name: str
    email: str | None = None
    phone: str | None = None
    contact_through_jobcentre: bool = Field(
        default=False, description="Reach this citizen through their caseworker at the jobcentre, not directly."
    )


#: The fields of the personal part an owner receives after the citizen's yes (README: "What an owner sees").
SHARED_FIELDS = ("name", "email", "phone")


def shared_details(personal: PersonalData, *, private: bool) -> SharedDetails:
    """The shared part of `personal`; a private-channel citizen's contact details stay with the jobcentre."""
    # The same answer for a citizen who has no e-mail or phone: "through the jobcentre" alone does not
    # single out the private channel.
    if private or not (personal.email or personal.phone):
        return SharedDetails(name=personal.name, contact_through_jobcentre=True)
    return SharedDetails(name=personal.name, email=personal.email, phone=personal.phone)
