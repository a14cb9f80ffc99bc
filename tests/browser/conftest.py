"""A running intake and matcher with the Holbæk demo, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from brobygger.demo import load_demo
from tests.conftest import InfraHandle
from tests.e2e.stack import Stack, running_stack, smtp_server
from tests.helpers import bearer, eventually
from tests.security.world import fresh_common

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "pages"
#: axe-core impacts that fail a page.
BLOCKING = ("serious", "critical")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(infra: InfraHandle) -> AsyncIterator[Stack]:
    """intake and matcher with the demo catalogue and two sample intakes, ranked."""
    common = fresh_common(infra)
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "matcher")) as stack,
    ):
        await asyncio.to_thread(load_demo, stack.api, intakes=2, echo=False)
        async with httpx.AsyncClient(timeout=10) as client:
            caseworker = bearer("caseworker", "cw-demo", "316")

            async def ranked() -> bool:
                r = await client.get(f"{stack.api}/v1/citizens", params={"waiting": "true"}, headers=caseworker)
                return r.status_code == 200 and r.json()["total"] == 2

            await eventually(ranked, 120, "the demo intakes to be ranked")

            async def suggester_ready() -> bool:  # built on first use; warm it before the browser types
                r = await client.get(f"{stack.api}/v1/esco/suggest", params={"q": "kok"}, headers=caseworker)
                return r.status_code == 200

            await eventually(suggester_ready, 60, "the ESCO suggester")
        yield stack


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (one stat before a browser starts)
        pytest.fail(f"Chromium is missing at {CHROMIUM}; run `make browser` (apt-get install -y chromium)")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def sign_in(browser: Browser, site: Stack, identity: str, **context: Any) -> Page:
    """A new browser context signed in through the local sign-in page as one demo identity."""
    ctx = await browser.new_context(**context)
    page = await ctx.new_page()
    await page.goto(f"{site.api}/app")
    assert "/app/login" in page.url  # not signed in yet: the gate sends the browser to sign in
    await page.check(f"#identity-{identity}")
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return page


async def check_page(page: Page, name: str) -> list[dict[str, Any]]:
    """Save a screenshot as a test artifact and return axe-core's serious and critical violations."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in violations
        if v["impact"] in BLOCKING
    ]
