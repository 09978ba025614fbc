"""Reading a Prometheus scrape in the ops tests: samples by name and labels, summed."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.parser import text_string_to_metric_families

Sample = tuple[str, dict[str, str], float]


def samples(text: str) -> list[Sample]:
    return [(s.name, dict(s.labels), s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def value(scraped: Iterable[Sample], name: str, **labels: str) -> float:
    """The sum of every sample of ``name`` whose labels include ``labels`` (0 when none)."""
    return sum(v for n, got, v in scraped if n == name and labels.items() <= got.items())


def label_values(scraped: Iterable[Sample], label: str) -> set[str]:
    return {got[label] for _, got, _ in scraped if label in got}
