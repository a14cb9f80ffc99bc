"""`brobygger token`: a bearer token signed with the local key, for the demo, the docs and the tests.

Production tokens come from the municipality's identity provider; this command refuses to help there.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

import jwt

from services.intake.config import IntakeSettings
from services.intake.domain.access import InvalidClaims, Role, principal_from_claims
from shared.settings import CommonSettings

MAX_TTL_MINUTES = 7 * 24 * 60


def mint(
    role: str,
    subject: str,
    municipality: str | None = None,
    ttl_minutes: float = 60,
    settings: IntakeSettings | None = None,
) -> str:
    """A token the local intake accepts; `InvalidClaims` if intake would refuse what it says."""
    settings = settings or IntakeSettings()
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + int(ttl_minutes * 60),
        "jti": uuid.uuid4().hex,
    }
    if municipality is not None:
        claims["municipality"] = municipality
    principal_from_claims(claims)
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brobygger token",
        description="Print a bearer token signed with the local key (local mode only). "
        "Use it as `Authorization: Bearer <token>`.",
    )
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument(
        "--subject", required=True, help="staff id, CVR number (company), association id, or citizen id"
    )
    parser.add_argument("--municipality", help="3-digit municipality code; required for a caseworker (Holbæk: 316)")
    parser.add_argument("--ttl", type=float, default=60, help="minutes until it expires (default 60)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not 0 < args.ttl <= MAX_TTL_MINUTES:
        print(f"error: --ttl must be between 0 and {MAX_TTL_MINUTES} minutes", file=sys.stderr)
        return 2
    if CommonSettings().mode != "local":
        print("error: tokens are minted locally only; in production they come from the identity provider",
              file=sys.stderr)
        return 2
    settings = IntakeSettings()
    if settings.jwt_jwks_url:
        print("error: INTAKE_JWT_JWKS_URL is set, so intake accepts only the identity provider's tokens",
              file=sys.stderr)
        return 2
    try:
        token = mint(args.role, args.subject, args.municipality, args.ttl, settings)
    except InvalidClaims as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
