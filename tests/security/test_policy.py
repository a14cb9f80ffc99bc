"""The access policy on its own: pure functions, no server."""

from __future__ import annotations

import uuid

import pytest

from services.intake.domain.access import (
    Forbidden,
    InvalidClaims,
    NotFound,
    OpportunityScope,
    Principal,
    Role,
    check_citizen,
    check_opportunity,
    principal_from_claims,
)
from services.intake.domain.candidates import pseudonym

CITIZEN = uuid.uuid4()


def test_a_caseworker_token_without_a_municipality_describes_no_caller() -> None:
    with pytest.raises(InvalidClaims, match="municipality"):
        principal_from_claims({"sub": "cw", "role": "caseworker"})
    with pytest.raises(InvalidClaims, match="role"):
        principal_from_claims({"sub": "cw", "role": "root"})
    with pytest.raises(InvalidClaims, match="municipality"):
        principal_from_claims({"sub": "cw", "role": "caseworker", "municipality": "31"})


def test_a_role_that_may_never_read_a_citizen_is_forbidden_even_for_a_citizen_that_does_not_exist() -> None:
    with pytest.raises(Forbidden):
        check_citizen(Principal("12345678", Role.COMPANY), CITIZEN, None, allow_citizen_self=True)


def test_another_municipalitys_citizen_looks_exactly_like_a_missing_one() -> None:
    caseworker = Principal("cw", Role.CASEWORKER, "316")
    with pytest.raises(NotFound) as outside:
        check_citizen(caseworker, CITIZEN, "101", allow_citizen_self=False)
    with pytest.raises(NotFound) as missing:
        check_citizen(caseworker, CITIZEN, None, allow_citizen_self=False)
    assert str(outside.value) == str(missing.value)


def test_a_citizen_sees_themself_only_where_the_endpoint_allows_it() -> None:
    me = Principal(str(CITIZEN), Role.CITIZEN)
    check_citizen(me, CITIZEN, "316", allow_citizen_self=True)
    with pytest.raises(Forbidden):
        check_citizen(me, CITIZEN, "316", allow_citizen_self=False)
    with pytest.raises(NotFound):
        check_citizen(me, uuid.uuid4(), "316", allow_citizen_self=True)


def test_an_opportunity_belongs_to_its_owner_its_municipality_and_admins() -> None:
    scope = OpportunityScope(owner_cvr="12345678", owner_association_id=None, municipality="316", open=True)
    opportunity = uuid.uuid4()
    for allowed in (
        Principal("12345678", Role.COMPANY),
        Principal("cw", Role.CASEWORKER, "316"),
        Principal("root", Role.ADMIN),
    ):
        check_opportunity(allowed, opportunity, scope)
    for outsider in (
        Principal("87654321", Role.COMPANY),
        Principal("cw", Role.CASEWORKER, "101"),
        Principal("12345678", Role.ASSOCIATION),
    ):
        with pytest.raises(NotFound):
            check_opportunity(outsider, opportunity, scope)
    with pytest.raises(Forbidden):
        check_opportunity(Principal(str(CITIZEN), Role.CITIZEN), opportunity, scope)


def test_a_candidate_pseudonym_is_stable_per_owner_and_unlinkable_across_owners() -> None:
    secret, other_secret = b"k" * 32, b"o" * 32
    first, second = "company:11111111", "company:22222222"
    assert pseudonym(secret, first, CITIZEN) == pseudonym(secret, first, CITIZEN)
    assert pseudonym(secret, first, CITIZEN) != pseudonym(secret, second, CITIZEN)
    assert str(CITIZEN) not in pseudonym(secret, first, CITIZEN)
    # Keyed: knowing the owner and a guessed citizen id is not enough to compute the label.
    assert pseudonym(secret, first, CITIZEN) != pseudonym(other_secret, first, CITIZEN)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "cw-1\n", "role": "caseworker", "municipality": "316"},
        {"sub": "cw-1", "role": "caseworker", "municipality": "316\n"},
    ],
)
def test_a_trailing_newline_in_a_claim_describes_no_caller(claims: dict[str, str]) -> None:
    with pytest.raises(InvalidClaims):
        principal_from_claims(claims)


def test_one_subject_in_two_municipalities_is_two_tenants_and_no_subject_spells_another() -> None:
    here = Principal("cw", Role.CASEWORKER, "316")
    there = Principal("cw", Role.CASEWORKER, "101")
    assert here.tenant != there.tenant
    assert Principal("a|b", Role.ADMIN).tenant != Principal("a", Role.ADMIN).tenant
