"""Schema-based fuzzing of intake's own OpenAPI document with a valid admin token (schemathesis).

Every operation gets valid and invalid generated requests against a real intake over the real broker
and Redis. No answer may be a 5xx, and every answer must match what the document says: its status
code, content type and body schema. The number of examples is bounded so the test takes minutes.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually
from tests.samples import opportunity_payload, profile_payload

pytestmark = [
    pytest.mark.e2e,
    # schemathesis's own strategies touch the `random` module, which hypothesis flags as deprecated.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
    pytest.mark.timeout(900),
]

# Per operation, mode and kind of id. Thirty-odd operations now: 60 keeps the test near five minutes.
EXAMPLES = int(os.environ.get("BROBYGGER_FUZZ_EXAMPLES", "60"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Its time grows with the API (one pass per operation, mode and kind of id): with the lifecycle's ten
# operations it took about 300 s on a busy two-core machine, the suite's default limit.
@pytest.mark.timeout(900)
async def test_fuzzing_every_operation_finds_no_server_error_and_no_answer_outside_the_schema(
    infra: InfraHandle, common: CommonSettings
) -> None:
    intake = {"rate_limit_per_minute": 1_000_000, "read_rate_limit_per_minute": 1_000_000}
    async with (
        smtp_server() as (_, smtp_port),
        # All three services: the export asks the matcher and the notifier what they hold.
        running_stack(infra, common, smtp_port, intake=intake) as stack,
    ):
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer("admin", "fuzzer")) as client:
            document = (await client.get("/openapi.json")).json()
            existing = {
                "citizen_id": (await client.post("/v1/citizens", json=profile_payload())).json()["citizen_id"],
                "opportunity_id": (await client.post("/v1/opportunities", json=opportunity_payload())).json()[
                    "opportunity_id"
                ],
            }
            # The matcher builds its ESCO suggester on first use (503 until then): build it before fuzzing.
            async def suggester_ready() -> bool:
                return (await client.get("/v1/esco/suggest", params={"q": "kok"})).status_code == 200

            await eventually(suggester_ready, 60, "the ESCO suggester")
        # The generated requests are synchronous; the servers keep running on this event loop meanwhile.
        failures, counts = await asyncio.to_thread(_fuzz, document, stack.api, existing)
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(f"{stack.api}/readyz")).status_code == 200  # still serving
    assert counts, "no operation was fuzzed"
    assert not failures, "\n\n".join(failures)


def _fuzz(document: dict[str, Any], api: str, existing: dict[str, str]) -> tuple[list[str], dict[str, int]]:
    """Each operation, valid and invalid, once with generated ids and once with ids that exist."""
    schema = schemathesis.openapi.from_dict(document)
    headers = bearer("admin", "fuzzer", expires_in_s=3600)
    failures: list[str] = []
    counts: dict[str, int] = {}
    session = requests.Session()
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            names = {p.name for p in operation.path_parameters}
            variants: list[dict[str, str] | None] = [None]
            if names & existing.keys():
                variants.append({k: v for k, v in existing.items() if k in names})
            for mode, ids in [(m, v) for m in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) for v in variants]:
                kind = "existing ids" if ids else "generated ids"
                label = f"{operation.method.upper()} {operation.path} ({mode.value}, {kind})"
                started = time.monotonic()
                try:
                    _run(operation, mode, ids, api, headers, session, counts, label)
                except Unsatisfiable:
                    pass  # nothing to make invalid (no parameters, no body)
                except Exception as exc:  # hypothesis re-raises the failing example
                    failures.append(f"{label}: {_describe(exc)}")
                counts[label + " s"] = int(time.monotonic() - started)
    finally:
        session.close()
    return failures, counts


def _run(
    operation: Any,
    mode: GenerationMode,
    ids: dict[str, str] | None,
    api: str,
    headers: dict[str, str],
    session: requests.Session,
    counts: dict[str, int],
    label: str,
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=ids))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        counts[label] = counts.get(label, 0) + 1
        response = case.call(base_url=api, headers=headers, session=session, timeout=15)
        case.validate_response(response, checks=CHECKS)

    check()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {str(exc)[:1500]}"
