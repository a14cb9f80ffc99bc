"""The pages' session: the same JWT as the API, carried in a secure, HTTP-only, SameSite cookie; CSRF tokens.

The cookie is accepted on page routes only (the gate sends API routes to the bearer check). In local
mode a sign-in page mints the token for a chosen demo role; in production the deployment's identity
provider sets it (see deploy/README.md), and the sign-in page only says so.
"""

from __future__ import annotations

import hashlib
import hmac
import http.cookies
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

import jwt
from starlette.types import Scope

from services.intake.adapters.tokens import Unauthenticated
from services.intake.config import IntakeSettings

PAGE_PREFIX = "/app"
SIGN_IN = f"{PAGE_PREFIX}/login"
PUBLIC_PAGE_PATHS = frozenset({SIGN_IN, f"{PAGE_PREFIX}/logout"})
SESSION_COOKIE = "brobygger_session"
SIGN_IN_CSRF_COOKIE = "brobygger_signin_csrf"
SESSION_HOURS = 8


@dataclass(frozen=True)
class DemoIdentity:
    key: str
    role: str
    subject: str
    municipality: str | None
    label_da: str
    label_en: str


#: Who one can sign in as in local mode; the demo data has these owners.
DEMO_IDENTITIES: tuple[DemoIdentity, ...] = (
    DemoIdentity("caseworker", "caseworker", "cw-demo", "316", "Sagsbehandler, Holbæk Jobcenter", "Caseworker, Holbæk"),
    DemoIdentity(
        "company",
        "company",
        "99000001",
        None,
        "Virksomhed: Blankpudset Rengøring ApS",
        "Company: Blankpudset Rengøring",
    ),
    DemoIdentity(
        "association", "association", "fjordbold-holbaek", None, "Forening: Fjordbold Holbæk", "Association: Fjordbold"
    ),
    DemoIdentity("admin", "admin", "admin-demo", None, "Administrator", "Administrator"),
)


@dataclass(frozen=True)
class PageAuth:
    """Cookie session and CSRF for the pages; `local_sign_in` only in local mode with the local HS256 key."""

    csrf_secret: bytes
    local_sign_in: bool
    secure_cookie: bool
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str

    @classmethod
    def from_settings(cls, settings: IntakeSettings, mode: str) -> PageAuth:
        secret = settings.csrf_secret.get_secret_value() if settings.csrf_secret else ""
        return cls(
            csrf_secret=secret.encode() if secret else secrets.token_bytes(32),
            local_sign_in=mode == "local" and settings.jwt_jwks_url is None,
            secure_cookie=True,
            jwt_secret=settings.jwt_secret.get_secret_value(),
            jwt_issuer=settings.jwt_issuer,
            jwt_audience=settings.jwt_audience,
        )

    @staticmethod
    def covers(path: str) -> bool:
        return path == PAGE_PREFIX or path.startswith(f"{PAGE_PREFIX}/")

    @staticmethod
    def cookie_token(scope: Scope) -> str:
        """The session token from the cookie, or `Unauthenticated`."""
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                jar = http.cookies.SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except http.cookies.CookieError:
                    continue
                if SESSION_COOKIE in jar and jar[SESSION_COOKIE].value:
                    return jar[SESSION_COOKIE].value
        raise Unauthenticated("missing_token", "sign in first")

    @staticmethod
    def sign_in_url(scope: Scope) -> str:
        target = scope.get("path", PAGE_PREFIX)
        if scope.get("method") != "GET":
            target = PAGE_PREFIX
        return f"{SIGN_IN}?next={quote(target, safe='/')}"

    def mint(self, identity: DemoIdentity) -> str:
        """A local session token for a demo identity (local mode only)."""
        if not self.local_sign_in:
            raise PermissionError("local sign-in is off outside local mode")
        now = int(time.time())
        claims: dict[str, object] = {
            "sub": identity.subject,
            "role": identity.role,
            "iss": self.jwt_issuer,
            "aud": self.jwt_audience,
            "iat": now,
            "exp": now + SESSION_HOURS * 3600,
        }
        if identity.municipality:
            claims["municipality"] = identity.municipality
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")

    def csrf_for(self, session: str) -> str:
        """The CSRF token bound to this session: a form posted from another site cannot know it."""
        return hmac.new(self.csrf_secret, f"csrf\x00{session}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: str, submitted: str) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf_for(session), submitted)


def safe_next(target: str | None) -> str:
    """Only a path inside the pages: never an open redirect to another site."""
    if target and PageAuth.covers(target) and not target.startswith("//") and "\\" not in target:
        return target
    return PAGE_PREFIX
