"""Runs one service (intake, matcher or notifier) under uvicorn, built by its `bootstrap()`."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import CommonSettings

SERVICES = ("intake", "matcher", "notifier")


def build(name: str) -> tuple[FastAPI, str, int]:
    if name == "intake":
        from services.intake.bootstrap import bootstrap as intake
        from services.intake.config import IntakeSettings

        s = IntakeSettings()
        return intake(settings=s), s.host, s.port
    if name == "matcher":
        from services.matcher.bootstrap import bootstrap as matcher
        from services.matcher.config import MatcherSettings

        m = MatcherSettings()
        return matcher(settings=m), m.host, m.port
    if name == "notifier":
        from services.notifier.bootstrap import bootstrap as notifier
        from services.notifier.config import NotifierSettings

        n = NotifierSettings()
        return notifier(settings=n), n.host, n.port
    raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}")


def serve(name: str) -> None:
    common = CommonSettings()
    configure_logging(common.log_level, service=name)
    app, host, port = build(name)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
