"""Collects each fault scenario's outcome and prints them together at the end of the run."""

from __future__ import annotations

import pytest

from tests.faults.harness import Verdict

OUTCOMES: list[Verdict] = []


@pytest.fixture
def report() -> list[Verdict]:
    """Append a scenario's verdict here; the run's summary prints every one, passed or failed."""
    return OUTCOMES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not OUTCOMES:
        return
    terminalreporter.section("fault scenarios: lost, doubled, raw deliveries, 5xx")
    for verdict in OUTCOMES:
        terminalreporter.write_line(verdict.line())
