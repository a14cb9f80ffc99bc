"""The web pages: cookie on pages only, bearer on the API only, CSRF on every form, scoping like the API."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.helpers import eventually, token
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
        r = await client.post(f"/app/citizens/{world.citizen}/edit", data={"name": "Someone Else"})
        assert r.status_code == 403 and "Formularen var udløbet" in r.text
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
        assert (await home.get(f"{citizen_page}/edit")).status_code == 200
        assert (await home.get(f"/app/citizens/{world.other_citizen}/edit")).status_code == 404
    async with _session(world, "caseworker", "cw-away", AWAY) as away:
        r = await away.get(citizen_page)
        assert r.status_code == 404 and "findes ikke" in r.text
        assert (await away.get(f"{citizen_page}/edit")).status_code == 404
        csrf = await _csrf(away, "/app/citizens/new")
        r = await away.post(f"{citizen_page}/edit", data={"csrf": csrf, "name": "Someone Else"})
        assert r.status_code == 404  # a caseworker of another municipality cannot change the profile
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
        assert (await owner.get(f"{citizen_page}/edit")).status_code == 403
    async with _session(world, "company", OTHER_COMPANY) as other:
        assert (await other.get(opportunity_page)).status_code == 404
        assert world.opportunity not in (await other.get("/app/opportunities")).text
    async with _session(world, "citizen", world.citizen) as citizen:
        assert (await citizen.get(citizen_page)).status_code == 403
        assert (await citizen.get("/app/opportunities")).status_code == 403


def _fields(html: str) -> dict[str, str]:
    """The text fields and hidden fields of a form page, as a browser would post them back."""
    kinds = "hidden|text|email|tel|number|date"
    fields = dict(re.findall(rf'<input type="(?:{kinds})" (?:id="[^"]*" )?name="([^"]+)" value="([^"]*)"', html))
    for name, options in re.findall(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option (?:value="([^"]*)" )?selected>([^<]*)', options)
        if chosen:
            fields[name] = chosen.group(1) if chosen.group(1) is not None else chosen.group(2)
    for name, value in re.findall(r'<input type="radio" id="[^"]*" name="([^"]+)" value="([^"]+)" checked>', html):
        fields[name] = value
    return fields


async def test_an_edit_is_refused_with_the_form_back_when_someone_saved_the_profile_after_it_was_opened(
    world: World,
) -> None:
    async with httpx.AsyncClient(base_url=world.api, timeout=10) as api:
        citizen = await world.new_citizen(api)

        async def readable() -> bool:
            return (await api.get(f"/v1/citizens/{citizen}", headers=world.admin)).status_code == 200

        await eventually(readable, 30, "the new citizen in the read model")
        async with _session(world, "caseworker", "cw-home", HOME) as mine:
            opened = await mine.get(f"/app/citizens/{citizen}/edit")
            assert opened.status_code == 200
            form = _fields(opened.text)
            assert form["based_on"] and form["name"]
            # Someone else saves first (here through the API), and the read model catches up.
            stored = (await api.get(f"/v1/citizens/{citizen}", headers=world.admin)).json()
            profile = {**stored["profile"], "home_town": "Tølløse"}
            assert (await api.put(f"/v1/citizens/{citizen}", json=profile, headers=world.admin)).status_code == 202

            async def changed() -> bool:
                r = await api.get(f"/v1/citizens/{citizen}", headers=world.admin)
                return r.json()["updated_at"] != stored["updated_at"]

            await eventually(changed, 30, "the other save in the read model")
            r = await mine.post(f"/app/citizens/{citizen}/edit", data={**form, "phone": "20304050"})
            assert r.status_code == 409 and "Profilen blev ændret, efter du åbnede formularen" in r.text
            again = _fields(r.text)
            assert again["phone"] == "20304050"  # what she typed is not lost
            assert again["based_on"] != form["based_on"] and again["form_id"] != form["form_id"]
            # Saved again from the form that came back, it goes through.
            r = await mine.post(f"/app/citizens/{citizen}/edit", data=again)
            assert r.status_code == 303 and r.headers["location"].endswith("notice=profile_saved")
            # At once, back in the browser, a field changed and the same form sent again: refused, told
            # "already saved" while the read model lacks the first save, else "changed after you opened it".
            r = await mine.post(f"/app/citizens/{citizen}/edit", data={**again, "phone": "20304060"})
            assert r.status_code == 409
            assert "Denne formular er allerede gemt" in r.text or "Profilen blev ændret, efter" in r.text
            assert _fields(r.text)["phone"] == "20304060" and _fields(r.text)["form_id"] != again["form_id"]

            async def saved() -> bool:
                r = await api.get(f"/v1/citizens/{citizen}", headers=world.admin)
                return r.json()["profile"]["personal"].get("phone") == "20304050"

            await eventually(saved, 30, "the caseworker's save in the read model")
            # The same form sent once more (a double click), after the read model caught up: the same save.
            r = await mine.post(f"/app/citizens/{citizen}/edit", data=again)
            assert r.status_code == 303 and r.headers["location"].endswith("notice=profile_saved")
            # The changed send saved nothing: a later save, once read back, comes after anything it
            # could have published (one partition per citizen), and the phone is still the first one.
            stored = (await api.get(f"/v1/citizens/{citizen}", headers=world.admin)).json()
            later = {**stored["profile"], "home_town": "Jyderup"}
            assert (await api.put(f"/v1/citizens/{citizen}", json=later, headers=world.admin)).status_code == 202

            async def later_saved() -> bool:
                r = await api.get(f"/v1/citizens/{citizen}", headers=world.admin)
                return r.json()["profile"]["home_town"] == "Jyderup"

            await eventually(later_saved, 30, "the later save in the read model")
            r = await api.get(f"/v1/citizens/{citizen}", headers=world.admin)
            assert r.json()["profile"]["personal"].get("phone") == "20304050"


async def test_a_registration_form_sent_again_with_other_values_registers_nobody_twice(world: World) -> None:
    async with _session(world, "caseworker", "cw-home", HOME) as mine:
        page = await mine.get("/app/citizens/new")
        form = {
            **_fields(page.text),
            "name": "Amal Farah",
            "postcode": "4300",
            "town": "Holbæk",
            "hours": "20",
            **{f"consent_{k}": "yes" for k in ("ordinary_job", "language_placement", "education_step")},
            "consent_association_activity": "no",
        }
        first = await mine.post("/app/citizens", data=form)
        assert first.status_code == 303 and re.search(r"/app/citizens/[0-9a-f-]{36}$", first.headers["location"])
        again = await mine.post("/app/citizens", data=form)  # a double click: the same citizen
        assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
        # Back in the browser, a field changed, the same form sent again: told, not registered twice.
        changed = await mine.post("/app/citizens", data={**form, "hours": "25"})
        assert changed.status_code == 409 and "Denne formular er allerede gemt" in changed.text
