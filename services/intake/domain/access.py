"""Who may do what in intake: roles, tenants and the rules between them. Pure: no FastAPI, no Redis.

Two answers exist for a refusal. A role that may never use an operation gets `Forbidden` (403): that
says nothing about any one resource. A resource outside the caller's tenant gets `NotFound` (404),
word for word the answer for a resource that does not exist, so existence does not leak.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CASEWORKER = "caseworker"
    COMPANY = "company"
    ASSOCIATION = "association"
    CITIZEN = "citizen"
    ADMIN = "admin"


class NotFound(Exception):
    """The resource does not exist, or is outside the caller's scope (the two look the same)."""


class Forbidden(Exception):
    """The caller's role may never use this operation."""


class InvalidClaims(ValueError):
    """A correctly signed token whose claims do not describe a Brobygger caller."""


# Always `fullmatch`: `re.match` with `^…$` lets a trailing newline through.
_MUNICIPALITY = re.compile(r"[0-9]{3}")
_SUBJECT = re.compile(r"[A-Za-z0-9._:@|\-]{1,200}")


@dataclass(frozen=True)
class Principal:
    """The verified caller: `subject` is a CVR for a company, an association id, a citizen id, or a staff id."""

    subject: str
    role: Role
    municipality: str | None = None

    @property
    def tenant(self) -> str:
        """A stable label for per-caller bookkeeping (rate limits, idempotency); not shown to anyone.

        The municipality is part of it: two caseworkers with one subject in two municipalities are two
        tenants. A subject cannot contain `/`, so no subject can spell another tenant's label.
        """
        return f"{self.role.value}/{self.municipality or '-'}/{self.subject}"


def principal_from_claims(claims: Mapping[str, object]) -> Principal:
    """The caller described by verified token claims; `InvalidClaims` names the claim that is wrong."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
        raise InvalidClaims("claim `sub` must be 1-200 characters of letters, digits and ._:@|-")
    raw_role = claims.get("role")
    try:
        role = Role(raw_role) if isinstance(raw_role, str) else None
    except ValueError:
        role = None
    if role is None:
        raise InvalidClaims(f"claim `role` must be one of {', '.join(r.value for r in Role)}")
    municipality = claims.get("municipality")
    if municipality is not None and not (isinstance(municipality, str) and _MUNICIPALITY.fullmatch(municipality)):
        raise InvalidClaims("claim `municipality` must be a 3-digit municipality code such as 316")
    if role is Role.CASEWORKER and municipality is None:
        raise InvalidClaims("claim `municipality` is required for a caseworker")
    return Principal(subject=subject, role=role, municipality=municipality)


# Citizens ---------------------------------------------------------------------------------------

CITIZEN_WRITERS = frozenset({Role.CASEWORKER, Role.ADMIN})


def check_citizen(
    caller: Principal, citizen_id: uuid.UUID, municipality: str | None, *, allow_citizen_self: bool
) -> None:
    """May `caller` touch this citizen? `municipality` is None when the citizen is unknown."""
    allowed = CITIZEN_WRITERS | ({Role.CITIZEN} if allow_citizen_self else set())
    if caller.role not in allowed:
        raise Forbidden(f"the role `{caller.role.value}` may not use this citizen endpoint")
    visible = municipality is not None and (
        caller.role is Role.ADMIN
        or (caller.role is Role.CASEWORKER and caller.municipality == municipality)
        or (caller.role is Role.CITIZEN and caller.subject.lower() == str(citizen_id))
    )
    if not visible:
        raise NotFound(f"citizen {citizen_id}")


def check_profile_municipality(caller: Principal, municipality_code: str) -> None:
    """A caseworker registers citizens of their own municipality only; moving one elsewhere is for admins."""
    if caller.role not in CITIZEN_WRITERS:
        raise Forbidden(f"the role `{caller.role.value}` may not register or change citizens")
    if caller.role is Role.CASEWORKER and municipality_code != caller.municipality:
        raise Forbidden(
            f"field `municipality_code`: a caseworker of municipality {caller.municipality} "
            f"may not register citizens of municipality {municipality_code}"
        )


# Opportunities ----------------------------------------------------------------------------------

OPPORTUNITY_MANAGERS = frozenset({Role.COMPANY, Role.ASSOCIATION, Role.CASEWORKER, Role.ADMIN})


@dataclass(frozen=True)
class OpportunityScope:
    """Who an opportunity belongs to, as intake recorded it at registration."""

    owner_cvr: str | None
    owner_association_id: str | None
    municipality: str | None
    open: bool
    awaiting_approval: bool = False


def check_opportunity_content(
    caller: Principal, owner_cvr: str | None, owner_association_id: str | None, municipality_code: str
) -> None:
    """May `caller` register (or rewrite into) an opportunity with this owner and municipality?"""
    if caller.role not in OPPORTUNITY_MANAGERS:
        raise Forbidden(f"the role `{caller.role.value}` may not register or change opportunities")
    if caller.role is Role.COMPANY and owner_cvr != caller.subject:
        raise Forbidden("field `owner.cvr`: a company may register opportunities only under its own CVR number")
    if caller.role is Role.ASSOCIATION and owner_association_id != caller.subject:
        raise Forbidden("field `owner.association_id`: an association may register activities only under its own id")
    if caller.role is Role.CASEWORKER and municipality_code != caller.municipality:
        raise Forbidden(
            f"field `municipality_code`: a caseworker of municipality {caller.municipality} "
            f"may not register opportunities in municipality {municipality_code}"
        )


def needs_owner_approval(caller: Principal) -> bool:
    """A company's or association's own registration may wait for approval; staff vouch for theirs."""
    return caller.role in (Role.COMPANY, Role.ASSOCIATION)


def owner_key(owner_cvr: str | None, owner_association_id: str | None, opportunity_id: uuid.UUID) -> str:
    """How an owner is known (approved-owner lists, candidate pseudonyms): `company:<CVR>`, `association:<id>`,
    or, for an owner with neither (an education provider registered by staff), the opportunity itself."""
    if owner_cvr:
        return f"company:{owner_cvr}"
    if owner_association_id:
        return f"association:{owner_association_id}"
    return f"opportunity:{opportunity_id}"


def check_approver(caller: Principal, opportunity_id: uuid.UUID, scope: OpportunityScope | None) -> None:
    """Only a caseworker of the opportunity's municipality (or an admin) approves a new owner."""
    if caller.role not in CITIZEN_WRITERS:
        raise Forbidden(f"the role `{caller.role.value}` may not approve opportunities")
    check_opportunity(caller, opportunity_id, scope)


def staff_municipality(caller: Principal, asked: str | None) -> str | None:
    """Which municipality's staff lists the caller may read: a caseworker their own, an admin any (None: all)."""
    if caller.role not in CITIZEN_WRITERS:
        raise Forbidden(f"the role `{caller.role.value}` may not read the municipality's staff lists")
    if caller.role is Role.CASEWORKER:
        assert caller.municipality is not None
        return caller.municipality
    return asked


def check_opportunity(caller: Principal, opportunity_id: uuid.UUID, scope: OpportunityScope | None) -> None:
    """May `caller` manage this opportunity or see its candidates? `scope` is None when it is unknown."""
    if caller.role not in OPPORTUNITY_MANAGERS:
        raise Forbidden(f"the role `{caller.role.value}` may not use this opportunity endpoint")
    visible = scope is not None and (
        caller.role is Role.ADMIN
        or (caller.role is Role.COMPANY and scope.owner_cvr == caller.subject)
        or (caller.role is Role.ASSOCIATION and scope.owner_association_id == caller.subject)
        or (caller.role is Role.CASEWORKER and scope.municipality == caller.municipality)
    )
    if not visible:
        raise NotFound(f"opportunity {opportunity_id}")
