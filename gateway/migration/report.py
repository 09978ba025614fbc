"""The replay report: a JSON summary, and one self-contained HTML page with inline SVG charts.

No script, stylesheet or font is loaded from anywhere: the page is one file that opens
offline. Every value shown comes from the normalised responses and passes through the
redactor once more, so no credential or personal datum from the capture or the target can
appear in it.
"""

from __future__ import annotations

import html
import math
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from gateway.migration.normalise import rules_table
from gateway.migration.redact import Redactor
from gateway.migration.replay import Outcome

EXAMPLE_CHARS = 120
COLOURS = {"source": "#3b6ea8", "target": "#d9822b"}
SIDES = ("recorded (source)", "replayed (target)")
SHADOW_SIDES = ("primary", "candidate")


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)], 3)


def latency_stats(values: list[float]) -> dict[str, Any]:
    return {"count": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": round(max(values), 3) if values else None,
            "values": [round(v, 3) for v in values]}


def _example(value: Any, redactor: Redactor) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    text = redactor.text(text)
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS] + "…"


class EndpointTally:
    """One endpoint's figures, added to one outcome at a time (a replay's list, or a shadow's stream).

    Counts are exact; latencies keep the latest ``samples`` values per side (all of them when
    None), so a shadow proxy running for days holds a bounded amount.
    """

    def __init__(self, redactor: Redactor, samples: int | None = None) -> None:
        self.redactor = redactor
        self.counts: Counter[str] = Counter()
        self.fields: Counter[str] = Counter()
        self.examples: dict[str, dict[str, str]] = {}  # field -> its latest example
        self.statuses: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.target_requests: set[str] = set()
        self.latency: dict[str, deque[float]] = {"source": deque(maxlen=samples), "target": deque(maxlen=samples)}

    def add(self, o: Outcome) -> None:
        self.counts.update(requests=1, replayed=int(o.replayed), matches=int(o.match),
                           with_differences=int(bool(o.differences)), fields_compared=o.compared)
        for d in o.differences:
            self.fields[d.field] += 1
            self.examples[d.field] = {"source": _example(d.source, self.redactor),
                                      "target": _example(d.target, self.redactor)}
        if o.status_mismatch:
            self.statuses[f"{o.source_status} -> {o.target_status}"] += 1
        if o.no_equivalent:  # (a shadow's requests are not redacted before they are described)
            self.reasons[self.redactor.text(o.no_equivalent)] += 1
        if o.failure:
            self.failures[o.failure] += 1
        if o.target_request:
            self.target_requests.add(self.redactor.text(o.target_request.split("?")[0]))
        if o.replayed and o.source_latency_ms is not None:
            self.latency["source"].append(o.source_latency_ms)
        if o.target_latency_ms is not None:
            self.latency["target"].append(o.target_latency_ms)

    def drop(self) -> None:
        """A request that was not compared (a shadow's full mirror queue)."""
        self.counts.update(requests=1, dropped=1)

    def summary(self) -> dict[str, Any]:
        c = self.counts
        return {
            "requests": c["requests"], "replayed": c["replayed"], "matches": c["matches"],
            "with_differences": c["with_differences"], "fields_compared": c["fields_compared"],
            "status_mismatches": dict(self.statuses), "no_equivalent": self.reasons.total(),
            "no_equivalent_reasons": dict(self.reasons), "target_failures": self.failures.total(),
            "target_failure_reasons": dict(self.failures), "dropped": c["dropped"],
            "field_differences": [{"field": f, "count": n, "example": self.examples[f]}
                                  for f, n in self.fields.most_common()],
            "target_requests": sorted(self.target_requests),
            "latency_ms": {side: latency_stats(list(values)) for side, values in self.latency.items()},
        }


TOTALS = ("requests", "replayed", "matches", "with_differences", "no_equivalent", "target_failures")


class Tallies:
    """Every endpoint's tally and one over all of them (for the overall latency chart)."""

    def __init__(self, redactor: Redactor, samples: int | None = None) -> None:
        self.redactor, self.samples = redactor, samples
        self.endpoints: dict[str, EndpointTally] = {}
        self.overall = EndpointTally(redactor, samples)

    def endpoint(self, label: str) -> EndpointTally:
        tally = self.endpoints.get(label)
        if tally is None:
            tally = self.endpoints[label] = EndpointTally(self.redactor, self.samples)
        return tally

    def add(self, outcome: Outcome) -> None:
        self.endpoint(outcome.endpoint).add(outcome)
        self.overall.add(outcome)

    def drop(self, label: str) -> None:
        self.endpoint(label).drop()
        self.overall.drop()

    def summary(self, meta: dict[str, Any]) -> dict[str, Any]:
        endpoints = {label: tally.summary() for label, tally in sorted(self.endpoints.items())}
        totals = {k: sum(e[k] for e in endpoints.values()) for k in TOTALS}
        totals["status_mismatches"] = sum(sum(e["status_mismatches"].values()) for e in endpoints.values())
        return {**meta, "totals": totals, "latency_ms": self.overall.summary()["latency_ms"], "endpoints": endpoints,
                "rules": rules_table()}


def summarise(outcomes: list[Outcome], meta: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    tallies = Tallies(redactor)
    for outcome in outcomes:
        tallies.add(outcome)
    return tallies.summary(meta)


# --- HTML --------------------------------------------------------------------------------------

def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def chart(label: str, latency: dict[str, dict[str, Any]], width: int = 560, height: int = 160) -> str:
    """A histogram of both sides' latencies on shared, logarithmic buckets (inline SVG)."""
    values = {side: latency[side]["values"] for side in ("source", "target")}
    every = [v for vs in values.values() for v in vs if v > 0]
    if not every:
        return '<p class="empty">No latencies to draw.</p>'
    low, high = math.log10(min(every)), math.log10(max(every)) + 1e-9
    buckets = 12
    step = max((high - low) / buckets, 1e-9)
    counts = {side: [0] * buckets for side in values}
    for side, vs in values.items():
        for v in vs:
            counts[side][min(int((math.log10(max(v, 1e-9)) - low) / step), buckets - 1)] += 1
    top = max(max(c) for c in counts.values()) or 1
    slot, plot = (width - 40) / buckets, height - 30
    bars = []
    for side, offset in (("source", 0.1), ("target", 0.5)):
        for i, n in enumerate(counts[side]):
            h = plot * n / top
            bars.append(f'<rect class="bar {side}" x="{30 + i * slot + offset * slot:.1f}" y="{plot - h + 5:.1f}" '
                        f'width="{slot * 0.4:.1f}" height="{h:.1f}" fill="{COLOURS[side]}"><title>{side}: {n} '
                        f'request(s) near {10 ** (low + (i + 0.5) * step):.1f} ms</title></rect>')
    axis = (f'<line x1="30" y1="{plot + 5}" x2="{width - 10}" y2="{plot + 5}" stroke="#555"/>'
            f'<text x="30" y="{height - 5}" font-size="11">{10 ** low:.1f} ms</text>'
            f'<text x="{width - 10}" y="{height - 5}" font-size="11" text-anchor="end">{10 ** high:.1f} ms</text>'
            f'<text x="26" y="14" font-size="11" text-anchor="end">{top}</text>'
            f'<text x="26" y="{plot + 5}" font-size="11" text-anchor="end">0</text>')
    return (f'<svg class="latency-chart" role="img" aria-label="latency histogram for {esc(label)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
            f'{axis}{"".join(bars)}</svg>')


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def endpoint_html(label: str, e: dict[str, Any]) -> str:
    lat = e["latency_ms"]
    parts = [f'<section class="endpoint"><h2>{esc(label)}</h2>',
             table(["requests", "replayed", "matches", "with differences", "no equivalent", "fields compared"],
                   [[e["requests"], e["replayed"], e["matches"], e["with_differences"], e["no_equivalent"],
                     e["fields_compared"]]])]
    if e.get("dropped"):
        parts.append(f"<p>Not compared: {esc(e['dropped'])} request(s) dropped while the mirror queue was full.</p>")
    if e["target_requests"]:
        parts.append(f"<p>Sent to the target as: <code>{esc(', '.join(e['target_requests']))}</code></p>")
    if e["no_equivalent_reasons"]:
        parts.append("<h3>No equivalent in the target</h3>" + table(
            ["requests", "reason"], [[n, r] for r, n in e["no_equivalent_reasons"].items()]))
    if e["target_failure_reasons"]:
        parts.append("<h3>Target failures</h3>" + table(
            ["requests", "reason"], [[n, r] for r, n in e["target_failure_reasons"].items()]))
    if e["status_mismatches"]:
        parts.append("<h3>Status-code mismatches</h3>" + table(
            ["source -> target", "requests"], list(e["status_mismatches"].items())))
    if e["field_differences"]:
        parts.append("<h3>Differences by field</h3>" + table(
            ["field", "requests", "example: source", "example: target"],
            [[d["field"], d["count"], d["example"]["source"], d["example"]["target"]] for d in e["field_differences"]]))
    parts.append("<h3>Latency</h3>" + table(
        ["side", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [[side, s["count"], s["p50"], s["p90"], s["p99"], s["max"]] for side, s in lat.items()]))
    parts.append(chart(label, lat) + "</section>")
    return "".join(parts)


STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f2f2f2}
code{background:#f6f6f6}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
section.endpoint{border-top:2px solid #ddd;margin-top:1.5em}"""


def render_html(summary: dict[str, Any], title: str = "Replay report", refresh: int | None = None) -> str:
    """The page; ``refresh`` (seconds) makes a browser reload it (a running shadow's live page)."""
    t = summary["totals"]
    source, target, started = (f"<code>{esc(summary[k])}</code>" for k in ("upstream", "target", "started_at"))
    lead, sides = (f"Answered by the primary {source} since {started}; compared with the candidate {target}",
                   SHADOW_SIDES) if summary.get("kind") == "shadow" else \
        (f"Capture recorded against {source} at {started}; replayed against {target}", SIDES)
    head = (f"<h1>{esc(title)}: {esc(summary['source_dialect'])} &rarr; {esc(summary['target_dialect'])}</h1>"
            f"<p>{lead} ({esc(summary['mode'])}).</p>")
    legend = (f'<p class="legend">Latency charts: <span style="background:#3b6ea8"></span>{sides[0]}'
              f'<span style="background:#d9822b"></span>{sides[1]}</p>')
    totals = table(["requests", "replayed", "matches", "with differences", "status mismatches", "no equivalent",
                    "target failures"],
                   [[t["requests"], t["replayed"], t["matches"], t["with_differences"], t["status_mismatches"],
                     t["no_equivalent"], t["target_failures"]]])
    rules = "<h2>Normalisation rules</h2>" + table(
        ["field pattern", "action", "why"], [[r["pattern"], r["action"], r["why"]] for r in summary["rules"]])
    overall = "<h2>Latency, all replayed requests</h2>" + chart("all endpoints", summary["latency_ms"])
    sections = "".join(endpoint_html(label, e) for label, e in summary["endpoints"].items())
    reload = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">{reload}'
            f"<title>ticketgate {esc(title.lower())}</title><style>{STYLE}</style></head>"
            f"<body>{head}{totals}{legend}{overall}{sections}{rules}</body></html>")


def write_report(summary: dict[str, Any], out: Path, title: str = "Replay report") -> Path:
    """Write OUT.html and its JSON summary next to it (OUT.json); returns the JSON path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(summary, title), encoding="utf-8")
    json_path = out.with_suffix(".json")
    json_path.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return json_path
