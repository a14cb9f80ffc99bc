"""The web pages: cookie on pages only, bearer on the API only, CSRF on every form, scoping like the API."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.helpers import token
from tests.security.world import AWAY, COMPANY, HOME, OTHER_COMPANY, World

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def _session(world: World, role: str, subject: str, municipality: str | None = None) -> httpx.AsyncClient:
    """A client carrying a page session cookie (the same JWT the sign-in page sets)."""
    client = httpx.AsyncClient(base_url=world.api, timeout=10, follow_redirects=False)
    client.cookies.set("brobygger_session", token(role, subject, municipality), path="/app")
    return client


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def test_pages_take_the_cookie_and_the_api_does_not(world: World) -> None:
    async with _session(world, "caseworker", "cw-home", HOME) as client:
        assert (await client.get("/app/caseload")).status_code == 200
        api = await client.get("/v1/citizens")  # the cookie goes to /app only, and the API wants a bearer
        assert api.status_code == 401
        client.cookies.set("brobygger_session", token("caseworker", "cw-home", HOME), path="/")
        assert (await client.get("/v1/citizens")).status_code == 401  # even when sent, a cookie is no bearer
    async with httpx.AsyncClient(base_url=world.api, timeout=10) as anonymous:
        r = await anonymous.get("/app/caseload", headers=world.headers("caseworker_home"))
        assert r.status_code == 303 and r.headers["location"].startswith("/app/login")  # a bearer is no cookie
        assert (await anonymous.get("/app/login")).status_code == 200


async def test_a_form_without_its_csrf_token_or_with_anothers_is_refused(world: World) -> None:
    async with _session(world, "caseworker", "cw-home", HOME) as client:
        good = await _csrf(client, "/app/citizens/new")
        r = await client.post(f"/app/citizens/{world.citizen}/match", data={})
        assert r.status_code == 403 and "Formularen var udløbet" in r.text
        async with _session(world, "caseworker", "cw-other", HOME) as other:
            stolen = await _csrf(other, "/app/citizens/new")
        r = await client.post(f"/app/citizens/{world.citizen}/match", data={"csrf": stolen})
        assert r.status_code == 403
        r = await client.post(f"/app/citizens/{world.citizen}/match", data={"csrf": good})
        assert r.status_code == 303 and r.headers["location"].endswith("notice=match_asked")
        r = await client.post("/app/proposals/00000000-0000-0000-0000-000000000000/approve", data={})
        assert r.status_code == 403
    async with httpx.AsyncClient(base_url=world.api, timeout=10) as anonymous:
        r = await anonymous.post("/app/login", data={"identity": "admin", "csrf": "x"})
        assert r.status_code == 403 and "brobygger_session" not in r.headers.get("set-cookie", "")


async def test_the_local_sign_in_sets_a_secure_http_only_same_site_cookie(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.api, timeout=10) as client:
        page = await client.get("/app/login")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert csrf
        # httpx keeps `Secure` cookies for https only; a browser also sends them to http://127.0.0.1.
        client.cookies.set("brobygger_signin_csrf", page.cookies["brobygger_signin_csrf"])
        r = await client.post(
            "/app/login", data={"identity": "company", "csrf": csrf.group(1), "next": "//evil.example"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/app"  # never an open redirect
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("brobygger_session="))
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie and "Path=/app" in cookie


async def test_pages_are_scoped_like_the_api(world: World) -> None:
    citizen_page = f"/app/citizens/{world.citizen}"
    opportunity_page = f"/app/opportunities/{world.opportunity}"
    async with _session(world, "caseworker", "cw-home", HOME) as home:
        r = await home.get(citizen_page)
        assert r.status_code == 200
        assert (await home.get(f"/app/citizens/{world.other_citizen}")).status_code == 404
    async with _session(world, "caseworker", "cw-away", AWAY) as away:
        r = await away.get(citizen_page)
        assert r.status_code == 404 and "findes ikke" in r.text
        listing = await away.get("/app/caseload")
        assert world.citizen not in listing.text
        assert (await away.get("/app/kpi")).status_code == 200  # their own municipality's report
        assert (await away.get(opportunity_page)).status_code == 404
    async with _session(world, "company", COMPANY) as owner:
        assert (await owner.get(opportunity_page)).status_code == 200
        assert (await owner.get(citizen_page)).status_code == 403  # a company never reads a citizen
        assert (await owner.get("/app/kpi")).status_code == 403
        assert (await owner.get("/app/caseload")).status_code == 403
        assert (await owner.get("/app/citizens/new")).status_code == 403
    async with _session(world, "company", OTHER_COMPANY) as other:
        assert (await other.get(opportunity_page)).status_code == 404
        assert world.opportunity not in (await other.get("/app/opportunities")).text
    async with _session(world, "citizen", world.citizen) as citizen:
        assert (await citizen.get(citizen_page)).status_code == 403
        assert (await citizen.get("/app/opportunities")).status_code == 403
