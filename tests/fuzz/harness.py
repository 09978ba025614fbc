"""schemathesis against each dialect's served OpenAPI document, in process, on a seeded database.

The app is the one a server runs (``gateway.app.create_app``): its gateway starts in the ASGI
lifespan, in the one event-loop thread schemathesis drives every ASGI app from, so its pool
never crosses loops with the test session's. The engine is the CLI's (``schemathesis run``):
every phase (examples, coverage, fuzzing, stateful), seeded and derandomized, so a run is
reproducible and bounded; its figures are kept per dialect for the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic

SEED = 17  # one seed for every run: a failure found in CI is found again on a laptop
MAX_EXAMPLES = 25  # per operation and phase: the three dialects stay well under 3 minutes on 2 cores
STATEFUL_STEPS = 20

# The served documents, by dialect (the prefix is the dialect's mount).
DOCUMENTS = {
    "ticketsmart": "/ticketsmart/api/v1/openapi.json",
    "tickettailor": "/tickettailor/v1/openapi.json",
    "equaticket": "/equaticket/api/v1/openapi.json",
}


@dataclass
class Figures:
    """What one run found: the report's numbers and the failures, rendered as text."""

    dialect: str
    operations: int = 0
    cases: int = 0
    phases: dict[str, int] = field(default_factory=dict)  # test cases per phase
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        per_phase = ", ".join(f"{phase} {count}" for phase, count in sorted(self.phases.items()))
        return (f"{self.dialect}: {self.operations} operations, {self.cases} test cases ({per_phase}), "
                f"{len(self.failures)} failures, {len(self.errors)} errors")


# positive_data_acceptance's default: what a schema-valid request may be answered with
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def accepting(*statuses: str, method: str | None = None, path: str, ) -> dict[str, Any]:
    """An ``[[operations]]`` entry: for the operations matching ``path`` (a regex) and ``method``,
    a schema-valid request may also be refused with ``statuses`` (what the vendor documents)."""
    entry: dict[str, Any] = {"include-path-regex": path,
                             "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *statuses]}}}
    if method:
        entry["include-method-regex"] = method
    return entry


def config(auth: Mapping[str, Any], checks: Mapping[str, Any] | None = None,
           operations: list[dict[str, Any]] | None = None) -> SchemathesisConfig:
    """The run's settings, as a ``schemathesis.toml`` would write them."""
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
        "checks": {"enabled": True, **(checks or {})},
        "operations": operations or [],
        "auth": {"openapi": dict(auth)},
        "request-timeout": 20,
    })


def run(dialect: str, app: Any, cfg: SchemathesisConfig) -> Figures:
    """Load the dialect's document from the app, run the engine to its end, collect the figures."""
    schema = schemathesis.openapi.from_asgi(DOCUMENTS[dialect], app, config=cfg)
    figures = Figures(dialect, operations=sum(1 for _ in schema.get_all_operations()))
    statistic = Statistic()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            statistic.on_scenario_finished(event.recorder)
            phase = str(event.phase.value if hasattr(event.phase, "value") else event.phase)
            figures.phases[phase] = figures.phases.get(phase, 0) + len(event.recorder.cases)
        elif isinstance(event, events.NonFatalError):
            figures.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            figures.errors.append(f"fatal: {event.exception!r}")
    figures.cases = statistic.total_cases
    for label, grouped in statistic.failures.items():
        for group in grouped.values():
            for failure in group.failures:
                response = group.response
                status = response.status_code if response is not None else None
                body = response.content[:300] if response is not None else b""
                figures.failures.append(f"{label} [{status}] {failure.title}: {failure.message} | {body!r}\n"
                                        f"    {group.code_sample}")
    return figures
