"""What an owner learns about a candidate, before and after the citizen's yes.

Before the yes: nothing that names or reaches the person (a pseudonym and the fit; companies only,
and only where the municipality keeps that list). After the yes (`shared` and later): the name and
the ways to reach the citizen, and nothing else of the profile. Never: the address or home position,
the caseworker's note, a social-control concern, gender, origin or age, nor other proposals. A citizen
on the private channel is reached through the jobcentre: the owner gets the name, not the e-mail or phone.

The rule itself is a contract (`shared.contracts.messages`): the notifier tells owners the same details
by e-mail and webhook that intake shows them here.
"""

from __future__ import annotations

from shared.contracts.messages import SHARED_FIELDS, SharedDetails, shared_details

__all__ = ["SHARED_FIELDS", "SharedDetails", "shared_details"]
