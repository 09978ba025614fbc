"""The hand floor answers what the gateway answers: each GET scenario fetched once from both at
the start of a run and compared field for field.

Nothing is ignored: the bodies of the benchmark's GET scenarios hold nothing that differs per
request (request ids are headers; Equaticket's cursors are deterministic signatures), so any
difference is the floor's error or the gateway's, and that scenario's ratios are marked invalid.
Key order is not compared (JSON objects are unordered; clients read fields by name), value types are:
``1`` is not ``1.0``, ``true`` is not ``1``, ``"true"`` is not ``true``.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.bench.scenarios import Scenario


def first_difference(left: Any, right: Any, path: str = "$") -> str | None:
    """The path of the first place ``left`` and ``right`` differ, with both values; None when equal."""
    if type(left) is not type(right):
        return f"{path}: {_show(left)} != {_show(right)}"
    if isinstance(left, dict):
        for key in list(left) + [k for k in right if k not in left]:
            if key not in left or key not in right:
                return f"{path}.{key}: {'missing' if key not in left else _show(left[key])} != " \
                       f"{'missing' if key not in right else _show(right[key])}"
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list):
        for i, (a, b) in enumerate(zip(left, right, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None if len(left) == len(right) else f"{path}: {len(left)} items != {len(right)} items"
    return None if left == right else f"{path}: {_show(left)} != {_show(right)}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(gateway: httpx.Response, floor: httpx.Response) -> str | None:
    if gateway.status_code != floor.status_code:
        return f"status: gateway {gateway.status_code} != floor {floor.status_code}"
    return first_difference(gateway.json(), floor.json())


def verify(gateway_url: str, floor_url: str, chosen: list[Scenario]) -> dict[str, str | None]:
    """Per GET scenario with a hand floor: None when the bodies are equal, else the first difference
    (the gateway's value first)."""
    out: dict[str, str | None] = {}
    with httpx.Client(timeout=30) as client:
        for s in chosen:
            if not s.is_get or s.floor != "sql":
                continue
            gw = client.get(gateway_url + s.path, headers=s.headers)
            fl = client.get(f"{floor_url}/s/{s.name}")
            out[s.name] = compare(gw, fl)
    return out
