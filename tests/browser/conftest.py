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
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import Stack, running_stack, smtp_server
from tests.helpers import bearer, eventually
from tests.security.world import fresh_common

CHROMIUM = os.environ.get("BROBYGGER_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "pages"
#: axe-core impacts that fail a page.
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def site_settings(infra: InfraHandle) -> CommonSettings:
    """The settings the site runs with (its namespace, its answer links' secret)."""
    return fresh_common(infra)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(infra: InfraHandle, site_settings: CommonSettings) -> AsyncIterator[Stack]:
    """intake and matcher with the demo catalogue and two sample intakes, ranked."""
    common = site_settings
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


#: A 1280 × 800 window at 200 % zoom: 640 × 400 CSS pixels, each drawn as 2 × 2 device pixels (WCAG 1.4.4, 1.4.10).
ZOOM_200: dict[str, Any] = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}

#: Run in the page: what at 200 % zoom would need sideways scrolling, is cut off, overlaps, or is too small to read.
_LAYOUT_PROBLEMS = """() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const problems = [];
  if (doc.scrollWidth > width) problems.push(`the page scrolls sideways: ${doc.scrollWidth} > ${width} px`);
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
    ` "${(el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30)}"`;
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== "hidden" && el.closest(".skip,.visually-hidden") === null;
  };
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const controls = [...document.querySelectorAll(selector)].filter(shown);
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (!inScroller(el) && (r.left < -0.5 || r.right > width + 0.5)) {
      problems.push(`${name(el)} is cut off at the side (${Math.round(r.left)}–${Math.round(r.right)} of ${width} px)`);
    }
  }
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const a = controls[i].getBoundingClientRect(), b = controls[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2 && !controls[i].contains(controls[j]) && !controls[j].contains(controls[i])) {
        problems.push(`${name(controls[i])} overlaps ${name(controls[j])}`);
      }
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !shown(el)) continue;
    const s = getComputedStyle(el);
    let size = parseFloat(s.fontSize);
    const svg = el.closest("svg");
    if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;  // drawn smaller when scaled
    }
    if (size < 12) problems.push(`text "${node.textContent.trim().slice(0, 30)}" is drawn at ${size.toFixed(1)} px`);
    const hides = s.overflowX === "hidden" || s.overflowX === "clip";
    if (hides && el.scrollWidth > el.clientWidth + 1 && !inScroller(el)) {
      problems.push(`text "${node.textContent.trim().slice(0, 30)}" is cut off`);
    }
  }
  return [...new Set(problems)];
}"""


async def layout_problems_at_200(page: Page, name: str, controls: list[str]) -> list[str]:
    """Save a screenshot at 200 % zoom and list what fails WCAG 1.4.4/1.4.10 there: sideways scrolling, controls
    cut off or overlapping, text drawn under 12 CSS px; and each of `controls` (selectors) that is not visible."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-zoom200.png"), full_page=True)
    problems: list[str] = await page.evaluate(_LAYOUT_PROBLEMS)
    for selector in controls:
        control = page.locator(selector).first
        if not await control.count() or not await control.is_visible():
            problems.append(f"{selector} is not visible")
    return problems
