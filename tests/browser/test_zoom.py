"""Every main page at 200 % zoom (a 1280 × 800 window zoomed to 640 × 400 CSS pixels, WCAG 1.4.4 and 1.4.10):
nothing needs sideways scrolling, the main controls are visible and neither cut off nor on top of each other,
and text is drawn at a readable size. Also the employment follow-up form, which belongs on jobs only.

Screenshots are saved as `<page>-zoom200.png` under .artifacts/pages/."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from shared import links
from shared.settings import CommonSettings
from tests.browser.conftest import ZOOM_200, check_page, layout_problems_at_200, sign_in
from tests.e2e.lifecycle_steps import proposal_of, start
from tests.e2e.stack import Stack
from tests.helpers import bearer
from tests.samples import opportunity_payload, profile_payload

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

CASEWORKER = bearer("caseworker", "cw-demo", "316")  # the demo caseworker the sign-in page signs in as
ADMIN = bearer("admin", "zoom-test")


async def _at_200(page: Page, name: str, *controls: str) -> None:
    problems = await layout_problems_at_200(page, name, list(controls))
    assert problems == [], f"{name} at 200 % zoom: {problems}"
    assert await check_page(page, f"{name}-zoom200") == []


async def test_the_caseworker_pages_fit_a_window_at_200_percent_zoom(site: Stack, browser: Browser) -> None:
    page = await sign_in(browser, site, "caseworker", **ZOOM_200)
    assert page.url.endswith("/app/caseload")
    await _at_200(page, "caseload", "#q", "#status", "form.filters button", "tbody a")

    await page.locator("tbody a").first.click()
    await expect(page.locator("li.proposal").first).to_be_visible()
    await _at_200(
        page,
        "citizen",
        "li.proposal button:has-text('Godkend')",
        "li.proposal input[name=reason]",
        "li.proposal button:has-text('Afvis med begrundelse')",
        "form.inline button",
    )

    await page.goto(f"{site.api}/app/citizens/new")
    await _at_200(page, "intake-form", "#name", "#job1_title", "#slot-tue-morning", "button:has-text('Gem og find')")

    await page.goto(f"{site.api}/app/kpi")
    await expect(page.locator("svg.chart").first).to_be_visible()
    await _at_200(page, "kpi", "#from", "#to", "form.filters button", "text=Hent som CSV", "table.kpi")


async def test_the_company_and_association_pages_fit_a_window_at_200_percent_zoom(
    site: Stack, browser: Browser
) -> None:
    company = await sign_in(browser, site, "company", **ZOOM_200)
    await _at_200(company, "company-opportunities", "tbody a")
    await company.locator("tbody a").first.click()
    await expect(company.locator("h2#cand-h")).to_be_visible()
    await _at_200(company, "company-opportunity", "h2#cand-h")

    association = await sign_in(browser, site, "association", **ZOOM_200)
    await _at_200(association, "association-opportunities", "tbody a")
    await association.locator("tbody a").first.click()
    await _at_200(association, "association-opportunity", "h2#cand-h")


async def test_the_citizen_answer_page_fits_a_window_at_200_percent_zoom(
    site: Stack, site_settings: CommonSettings, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=site.api, timeout=10) as client:
        caseload = await client.get("/v1/citizens", params={"waiting": "true"}, headers=CASEWORKER)
        citizen = caseload.json()["citizens"][-1]["citizen_id"]
        view = (await client.get(f"/v1/citizens/{citizen}/proposals", headers=CASEWORKER)).json()
        pid = [e["proposal_id"] for e in view["lifecycle"] if e["state"] == "proposed"][-1]
        for path, body in (
            (f"/v1/citizens/{citizen}/proposals/{pid}/decision", {"decision": "approve"}),
            (f"/v1/proposals/{pid}/offer-in-person", {}),
        ):
            r = await client.post(path, json=body, headers=CASEWORKER)
            assert r.status_code == 200, r.text
    token = links.sign(
        site_settings.link_secret.get_secret_value(),
        "answer",
        uuid.UUID(citizen),
        dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        proposal_id=uuid.UUID(pid),
    )
    ctx = await browser.new_context(**ZOOM_200)
    page = await ctx.new_page()
    await page.goto(f"{site.api}/links/answer?t={token}")
    await expect(page.locator("h1")).to_have_text("Vil du sige ja?")
    await _at_200(page, "citizen-answer", "button.yes", "button.no")


async def test_the_follow_up_form_shows_on_a_started_job_only_and_the_buttons_fit_at_200_percent_zoom(
    site: Stack, browser: Browser
) -> None:
    cvr = f"{uuid.uuid4().int % 10**8:08d}"
    owner = {"type": "company", "cvr": cvr, "name": "Opfølgning ApS (test)"}
    job = opportunity_payload(owner=owner, title=f"Rengøringsassistent {cvr}")
    placement = opportunity_payload(
        owner=owner, kind="language_placement", placement_type="sprogpraktik", title=f"Sprogpraktik {cvr}"
    )
    async with httpx.AsyncClient(base_url=site.api, timeout=10) as client:
        for payload in (job, placement):
            assert (await client.post("/v1/opportunities", json=payload, headers=ADMIN)).status_code == 202
        name = f"Opfølgning {uuid.uuid4().hex[:6]}"
        home = {"lat": 55.7158, "lon": 11.7128}
        profile = profile_payload(personal={"name": name, "email": "f@example.org", "home": home})
        r = await client.post("/v1/citizens", json=profile, headers=CASEWORKER)
        assert r.status_code == 202, r.text
        citizen = r.json()["citizen_id"]
        job_pid = await proposal_of(client, citizen, job["title"], CASEWORKER)
        placement_pid = await proposal_of(client, citizen, placement["title"], CASEWORKER)
        for pid in (job_pid, placement_pid):
            await start(client, citizen, pid, CASEWORKER, bearer("company", cvr), dt.date.today())

    page = await sign_in(browser, site, "caseworker", **ZOOM_200)
    await page.goto(f"{site.api}/app/citizens/{citizen}")
    job_card = page.locator("li.proposal", has_text=job["title"]).first
    placement_card = page.locator("li.proposal", has_text=placement["title"]).first
    await expect(job_card.locator(".state")).to_contain_text("Startet")
    await expect(placement_card.locator(".state")).to_contain_text("Startet")
    follow_up = "form[aria-label='Opfølgning på job']"
    await expect(job_card.locator(follow_up)).to_have_count(1)
    await expect(placement_card.locator(follow_up)).to_have_count(0)  # a language placement is not a job
    await expect(placement_card.locator("button", has_text="Registrer afslutning")).to_be_visible()
    await _at_200(
        page,
        "citizen-started",
        f"li.proposal:has-text('{job['title']}') {follow_up} select[name=months]",
        f"li.proposal:has-text('{job['title']}') {follow_up} button",
        f"li.proposal:has-text('{job['title']}') button:has-text('Registrer afslutning')",
    )
    await job_card.locator(f"{follow_up} select[name=months]").select_option("3")
    await job_card.locator(f"{follow_up} button").click()
    await expect(page.locator(".notice")).to_have_text("Beslutningen er gemt.")
