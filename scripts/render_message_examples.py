"""Render an example of every message the notifier sends into docs/messages/ (run after changing a template).

`python scripts/render_message_examples.py` writes offer.<lang>.txt/.html (the citizen's digest: Danish
first, then the language in the name), candidate.da.txt/.html (the owner's e-mail after a yes: Danish,
then English) and candidate.webhook.json (the owner's webhook body). Fixed ids and dates make the output
stable; tests/unit/notifier/test_examples.py checks that the committed files match.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from pathlib import Path

from services.notifier.adapters.render import Renderer
from services.notifier.domain.compose import (
    CandidateNotice,
    Contact,
    Digest,
    Fact,
    Item,
    languages_for,
    times,
    webhook_body,
)
from shared import links
from shared.contracts import OpportunityKind, SharedDetails
from shared.settings import LOCAL_LINK_SECRET

OUT = Path(__file__).resolve().parent.parent / "docs" / "messages"
CITIZEN = uuid.UUID("00000000-0000-4000-8000-000000000001")
EXPIRES = dt.datetime(2026, 12, 14, 12, 0, tzinfo=dt.UTC)
BASE = "https://brobygger.holbaek.example"


def _link(purpose: str, proposal: uuid.UUID | None = None) -> str:
    token = links.sign(
        LOCAL_LINK_SECRET,
        purpose,
        CITIZEN,
        EXPIRES,
        proposal_id=proposal,
        link_id=f"{purpose}{proposal.hex if proposal else ''}"[:32],
    )  # type: ignore[arg-type]
    return f"{BASE}/links/{purpose}?t={token}"


def _items() -> tuple[Item, ...]:
    ids = [uuid.UUID(f"00000000-0000-4000-8000-00000000001{i}") for i in range(3)]
    return (
        Item(
            ids[0],
            OpportunityKind.ORDINARY_JOB,
            "Køkkenmedhjælper",
            "Fjordkøkkenet ApS (demo)",
            "Holbæk",
            25,
            (Fact("skills", 3), Fact("commute", 14, "bike")),
            _link("answer", ids[0]),
            times=times([("mon", "07:00", "15:30"), ("tue", "07:00", "15:30"), ("thu", "07:00", "15:30")]),
        ),
        Item(
            ids[1],
            OpportunityKind.LANGUAGE_PLACEMENT,
            "Sprogpraktik på lager",
            "Vestsjællands Lager A/S (demo)",
            "Tølløse",
            20,
            (Fact("mentor"), Fact("commute", 25, "public_transport", estimated=True)),
            _link("answer", ids[1]),
            (Fact("hours_overlap"),),
            times([("wed", "08:00", "18:00"), ("fri", "08:00", "18:00")]),
        ),
        Item(
            ids[2],
            OpportunityKind.EDUCATION_STEP,
            "Truckcertifikat (AMU)",
            "AMU Vestsjælland (demo)",
            "Holbæk",
            None,
            (Fact("opens_jobs", 2),),
            _link("answer", ids[2]),
        ),
    )


def render_all() -> dict[str, str]:
    renderer, files = Renderer(), {}
    for language in ("en", "ar", "uk"):
        digest = Digest(
            digest_id=uuid.UUID("00000000-0000-4000-8000-000000000100"),
            citizen_id=CITIZEN,
            first_name="Amina",
            languages=languages_for(language),
            items=_items(),
            more=2,
            proposal_ids=tuple(uuid.UUID(f"00000000-0000-4000-8000-00000000002{i}") for i in range(5)),
            contact=Contact("Mette Hansen, Jobcentret Holbæk", "+45 72 36 36 36", "jobcenter@holbaek.example"),
            list_url=_link("list"),
            rights_urls={
                "da": "https://www.borger.dk/",
                "en": "https://lifeindenmark.borger.dk/",
                "ar": "https://lifeindenmark.borger.dk/",
                "uk": "https://lifeindenmark.borger.dk/",
            },
        )
        rendered = renderer.digest(digest)
        files[f"offer.{language}.txt"] = f"Subject: {rendered.subject}\n\n{rendered.text}"
        files[f"offer.{language}.html"] = rendered.html
    notice = CandidateNotice(
        delivery_id=uuid.UUID("00000000-0000-4000-8000-000000000200"),
        proposal_id=uuid.UUID("00000000-0000-4000-8000-000000000010"),
        opportunity_id=uuid.UUID("00000000-0000-4000-8000-000000000300"),
        opportunity_title="Køkkenmedhjælper",
        owner="company:12345678",
        owner_name="Fjordkøkkenet ApS (demo)",
        candidate=SharedDetails(name="Amina Hassan", email="amina@example.org", phone="+45 20 30 40 50"),
        answer_url=f"{BASE}/v1/proposals/00000000-0000-4000-8000-000000000010/owner-answer",
        page_url=f"{BASE}/app/opportunities/00000000-0000-4000-8000-000000000300",
        occurred_at=dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC),
    )
    rendered = renderer.candidate(notice)
    files["candidate.da.txt"] = f"Subject: {rendered.subject}\n\n{rendered.text}"
    files["candidate.da.html"] = rendered.html
    files["candidate.webhook.json"] = json.dumps(webhook_body(notice), indent=2, ensure_ascii=False) + "\n"
    return files


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"docs/messages/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
