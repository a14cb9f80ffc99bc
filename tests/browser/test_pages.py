"""The pages in a real browser: each role signs in, a caseworker registers a citizen with autocomplete and
sees proposals, approves one; a company sees its opportunities and candidates. Every page is checked with
axe-core and saved as a screenshot under .artifacts/pages/."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import check_page, sign_in
from tests.e2e.stack import Stack
from tests.helpers import bearer, eventually

CASEWORKER = bearer("caseworker", "cw-demo", "316")

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def _reload_until(page: Page, selector: str, tries: int = 40) -> None:
    """Reload the page until `selector` appears (the read models follow the topics)."""
    for _ in range(tries):
        if await page.locator(selector).count():
            return
        await page.wait_for_timeout(500)
        await page.reload()
    raise AssertionError(f"{selector} never appeared on {page.url}")


async def test_a_caseworker_registers_a_citizen_with_autocomplete_sees_proposals_and_approves_one(
    site: Stack, browser: Browser
) -> None:
    page = await sign_in(browser, site, "caseworker")
    assert page.url.endswith("/app/caseload")
    await expect(page.locator("h1")).to_have_text("Mine borgere")
    assert await check_page(page, "caseload") == []

    await page.click("text=Ny borger")
    assert await check_page(page, "intake-form") == []
    name = f"Leyla Demir {uuid.uuid4().hex[:4]}"
    await page.fill("#name", name)
    await page.fill("#email", "leyla@example.org")
    await page.fill("#postcode", "4300")
    await page.fill("#town", "Holbæk")
    await page.select_option("#course", "DU2")
    await page.select_option("#level", "A2")
    await page.select_option("#slot-tue-morning", "class")
    await page.select_option("#slot-thu-morning", "class")
    await page.select_option("#slot-fri-afternoon", "busy")
    await page.type("#job1_title", "rengøringsas", delay=30)
    options = page.locator("#job1_title-list option")
    await expect(options.first).to_be_attached(timeout=10_000)
    chosen = await options.first.get_attribute("value")
    assert chosen and "rengøring" in chosen.casefold()
    await page.fill("#job1_title", chosen)
    await page.dispatch_event("#job1_title", "input")
    await expect(page.locator("#job1_uri")).to_have_value(re.compile(r"^http://data\.europa\.eu/esco/occupation/"))
    await page.fill("#job1_years", "3")
    await page.fill("#skill1", "rengøring")
    await page.fill("#hours", "25")
    for kind in ("ordinary_job", "language_placement", "education_step", "association_activity"):
        await page.check(f"#consent_{kind}-yes")
    await page.click("button:has-text('Gem og find forslag')")
    await page.wait_for_url(re.compile(r"/app/citizens/[0-9a-f-]{36}$"))

    await _reload_until(page, "ol.cards li.proposal")
    await expect(page.locator("h1")).to_have_text(name)
    hours = page.locator("section[aria-labelledby=profile-h] dl.facts div", has_text="Timer om ugen")
    await expect(hours.locator("dd")).to_have_text("25")  # as she wrote it (the page said "25.0")
    assert await page.locator("li.proposal").count() >= 1
    await expect(page.locator("li.proposal").first).to_contain_text("Hvorfor")
    # "Why not" is on the caseworker's page: the cleaning course and jobs her Danish class keeps out.
    await expect(page.locator("#near-h")).to_have_text("Tæt på, men udelukket af en regel")
    await expect(page.locator("ul.near-misses")).to_contain_text("samtidig med din danskundervisning")
    assert await check_page(page, "citizen") == []

    # The lifecycle, by the buttons: approve, hand over in person, the citizen's yes given in person.
    card = page.locator("li.proposal", has_text="Blankpudset Rengøring").first
    await expect(card).to_be_visible()
    title = (await card.locator("h3").inner_text()).split(" ", 2)[-1]
    # A job like her earlier one says so apart from the skills she stated (the title is no skill).
    like = page.locator("li.proposal", has=page.locator("h3", has_text="Rengøringsassistent")).first
    facts = like.locator("dl.facts div")
    await expect(facts.filter(has_text="Tidligere arbejde der ligner").locator("dd")).to_have_text(chosen)
    await expect(facts.filter(has_text="Kompetencer der passer").locator("dd")).to_have_text("rengøring")
    await card.locator("button", has_text="Godkend").click()
    await expect(page.locator(".notice")).to_have_text("Beslutningen er gemt.")
    card = page.locator("li.proposal", has_text=title).first
    await expect(card.locator(".state")).to_contain_text("Godkendt")
    await card.locator("button", has_text="Givet personligt til borgeren").click()
    card = page.locator("li.proposal", has_text=title).first
    await expect(card.locator(".state")).to_contain_text("Sendt til borgeren")
    await card.locator("button", has_text="Borgeren sagde ja").click()
    card = page.locator("li.proposal", has_text=title).first
    await expect(card.locator(".state")).to_contain_text("Delt med arbejdsgiver")
    await card.locator("summary", has_text="Historik").click()
    await expect(card.locator(".history li")).to_have_count(4)  # approved, offered, accepted, shared
    citizen_url = page.url.split("?")[0]

    # The company answers on its own page, and records the start.
    company = await sign_in(browser, site, "company")
    await company.locator("tbody a", has_text=title).first.click()
    answer = company.locator("#answers-h + ol li").first
    await expect(answer.locator(".state")).to_contain_text("Delt med arbejdsgiver")
    # What she shared, under Danish labels (the page showed the contract's field names).
    await expect(answer.locator("dl.facts div", has_text="Navn").locator("dd")).to_have_text(name)
    await expect(answer.locator("dl.facts div", has_text="E-mail").locator("dd")).to_have_text("leyla@example.org")
    assert await check_page(company, "company-answers") == []
    await answer.get_by_role("button", name="Interesseret", exact=True).click()
    answer = company.locator("#answers-h + ol li").first
    await expect(answer.locator(".state")).to_contain_text("er interesseret")
    await answer.locator("button", has_text="Registrer start").click()
    await expect(company.locator("#answers-h + ol li").first.locator(".state")).to_contain_text("Startet")

    await page.goto(citizen_url)
    card = page.locator("li.proposal", has_text=title).first
    await expect(card.locator(".state")).to_contain_text("Startet")
    await card.locator("button", has_text="Registrer afslutning").click()
    await expect(page.locator("li.proposal", has_text=title).first.locator(".state")).to_contain_text("Afsluttet")

    await page.click("text=English")
    await expect(page.locator("h2#proposals-h")).to_have_text("Proposals")
    await page.click("text=Dansk")

    await page.goto(f"{site.api}/app/caseload?q={name.split()[0].lower()}")
    await expect(page.locator("tbody tr")).to_have_count(1)
    await expect(page.locator("tbody tr a")).to_have_text(name)


async def test_the_intake_form_shows_errors_at_each_field_in_danish(site: Stack, browser: Browser) -> None:
    page = await sign_in(browser, site, "caseworker")
    await page.goto(f"{site.api}/app/citizens/new")
    await page.fill("#postcode", "43")
    await page.click("button:has-text('Gem og find forslag')")
    await expect(page.locator(".error-summary")).to_contain_text("Ret felterne")
    await expect(page.locator("#name-error")).to_have_text("Skal udfyldes.")
    await expect(page.locator("#postcode-error")).to_have_text("Skriv et postnummer med 4 cifre.")
    await expect(page.locator("#consent_ordinary_job-error")).to_have_text("Skal udfyldes.")
    await expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    assert await check_page(page, "intake-form-errors") == []


async def test_a_caseworker_edits_a_profile_and_what_she_did_not_touch_stays(site: Stack, browser: Browser) -> None:
    """Hodan (a demo intake) has a Danish class at 8:30–11:45 and commitments at 14:30–16:30, times the
    form's grid cannot draw, and a home point, languages and an education the form has no field for."""
    page = await sign_in(browser, site, "caseworker")
    await page.goto(f"{site.api}/app/caseload?q=hodan")
    await page.locator("tbody a", has_text="Hodan Warsame").click()
    citizen_url = page.url
    citizen_id = citizen_url.rsplit("/", 1)[-1]
    async with httpx.AsyncClient(base_url=site.api, timeout=10) as client:
        before = (await client.get(f"/v1/citizens/{citizen_id}", headers=CASEWORKER)).json()["profile"]
        ranked_before = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CASEWORKER)).json()

    await page.click("text=Ret profil")
    await expect(page.locator("h1")).to_have_text("Ret profil")
    assert await check_page(page, "edit-form") == []
    await expect(page.locator("#name")).to_have_value("Hodan Warsame")
    await expect(page.locator("#job1_title")).to_have_value("rengøringsassistent")
    kept = page.locator("input[name=kept_slot]")
    await expect(kept).to_have_count(7)  # the Monday and Wednesday classes, five afternoon commitments
    await expect(page.get_by_label("Danskundervisning: Mandag 08:30–11:45")).to_be_checked()
    await page.select_option("#level", "A2")
    await page.check("#certificate-cleaning_basics")
    await page.fill("#interests", "syning\ngåture\nfodbold")
    await page.get_by_label("Anden aftale: Fredag 14:30–16:30").uncheck()
    await page.click("button:has-text('Gem ændringer og find nye forslag')")
    await page.wait_for_url(re.compile(r"notice=profile_saved"))
    await expect(page.locator(".notice")).to_contain_text("Ændringerne er gemt")

    await _reload_until(page, "dl.facts dd:has-text('Erhvervsrengøring')")
    facts = page.locator("section[aria-labelledby=profile-h] dl.facts div")
    danish = facts.filter(has=page.locator("dt", has_text=re.compile(r"^Dansk$")))
    await expect(danish.locator("dd")).to_contain_text("A2")
    await expect(facts.filter(has_text="Danskundervisning").locator("dd")).to_have_text(
        "Mandag 08:30–11:45, Onsdag 08:30–11:45"
    )
    await expect(facts.filter(has_text="Interesser").locator("dd")).to_have_text("syning, gåture, fodbold")

    async with httpx.AsyncClient(base_url=site.api, timeout=10) as client:
        after = (await client.get(f"/v1/citizens/{citizen_id}", headers=CASEWORKER)).json()["profile"]

        async def ranked_again() -> bool:
            r = await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CASEWORKER)
            return r.json().get("ranked_at") not in (None, ranked_before.get("ranked_at"))

        await eventually(ranked_again, 60, "a ranking of the edited profile")
    # What the form has no field for is kept; the one time unticked is gone, the rest stay as they were.
    for part in ("other_languages", "education", "previous_jobs"):
        assert after[part] == before[part], part
    assert after["personal"]["home"] == before["personal"]["home"]
    assert after["audit"]["age_band"] == before["audit"]["age_band"]
    busy = [(s["day"], s["start"], s["end"]) for s in after["availability"]["unavailable"]]
    assert busy == [(d, "14:30:00", "16:30:00") for d in ("mon", "tue", "wed", "thu")]
    assert after["certificates"] == ["cleaning_basics"] and after["danish"]["level"] == "A2"


async def test_a_company_sees_its_opportunities_and_pseudonymous_candidates(site: Stack, browser: Browser) -> None:
    page = await sign_in(browser, site, "company")
    assert page.url.endswith("/app/opportunities")
    rows = page.locator("tbody tr")
    assert await rows.count() == 4  # Blankpudset Rengøring has four opportunities in the demo
    await expect(page.locator("tbody")).not_to_contain_text("Skinnende Hjørner")
    assert await check_page(page, "company-opportunities") == []
    await rows.first.locator("a").click()
    await expect(page.locator("h2#cand-h")).to_have_text("Kandidater")
    assert await check_page(page, "company-opportunity") == []
    await expect(page.locator("main")).not_to_contain_text("@example")  # no contact details of any candidate


async def test_an_association_sees_only_its_own_activity(site: Stack, browser: Browser) -> None:
    page = await sign_in(browser, site, "association")
    await expect(page.locator("tbody tr")).to_have_count(1)
    assert await check_page(page, "association-opportunities") == []


async def test_the_sign_in_page_and_a_phone_sized_screen_pass_the_accessibility_check(
    site: Stack, browser: Browser
) -> None:
    ctx = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = await ctx.new_page()
    await page.goto(f"{site.api}/app/login")
    assert await check_page(page, "sign-in-phone") == []
    await page.check("#identity-caseworker")
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/app/caseload$"))
    assert await check_page(page, "caseload-phone") == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the caseload scrolls sideways on a phone ({width} px)"


async def test_the_kpi_report_has_charts_tables_and_a_csv_and_hides_small_groups(site: Stack, browser: Browser) -> None:
    page = await sign_in(browser, site, "caseworker")
    await page.click("text=Mål og resultater")
    await expect(page.locator("h1")).to_contain_text("Mål og resultater")
    assert await page.locator("svg.chart").count() == 4  # one per rate with a target
    await expect(page.locator("table.kpi").first).to_contain_text("<5")  # a demo of a few people is all suppressed
    assert await check_page(page, "kpi") == []
    async with page.expect_download() as download:
        await page.click("text=Hent som CSV")
    path = await (await download.value).path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("metric,total,gender:female")
    assert "Borgere registreret" in text
    await page.emulate_media(media="print")
    await expect(page.locator("form.filters")).to_be_hidden()
