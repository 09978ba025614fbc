"""What the conformance suite needs to know about each dialect, declared as data.

The suite (test_conformance.py) is written once; each dialect is a row here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

Json = dict[str, Any]


def _ts_errors(body: Json) -> bool:
    return isinstance(body.get("error"), str)


def _tt_errors(body: Json) -> bool:
    return isinstance(body.get("status"), int) and isinstance(body.get("error_code"), str) and "message" in body


def _eq_errors(body: Json) -> bool:
    error = body.get("error")
    return isinstance(error, dict) and {"code", "message", "request_id", "doc_url"} <= set(error)


def _ts_next(response: httpx.Response, params: dict[str, str]) -> dict[str, str] | None:
    pagination = response.json()["pagination"]
    return {**params, "page": str(pagination["page"] + 1)} if pagination["hasMore"] else None


def _tt_next(response: httpx.Response, params: dict[str, str]) -> dict[str, str] | None:
    link = response.json()["links"]["next"]
    return dict(parse_qsl(urlsplit(link).query)) if link else None


def _eq_next(response: httpx.Response, params: dict[str, str]) -> dict[str, str] | None:
    body = response.json()
    return {**params, "cursor": body["next_cursor"]} if body["has_more"] else None


@dataclass(frozen=True)
class Adapter:
    name: str
    base: str
    events: str  # the events list path under base
    event_id: Callable[[int], str]
    auth: Callable[[str], dict[str, str]]
    malformed_auth: tuple[dict[str, str], ...]
    is_error: Callable[[Json], bool]
    items: Callable[[Json], list[Json]]
    first_page: dict[str, str]
    next_page: Callable[[httpx.Response, dict[str, str]], dict[str, str] | None]
    bad_params: tuple[dict[str, str], ...]
    rate_limit_settings: dict[str, Any]
    cors: bool = False
    test_key_prefix: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def _basic(secret: str, colon: bool = True) -> dict[str, str]:
    raw = f"{secret}:" if colon else secret
    return {"authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


ADAPTERS = [
    Adapter(
        name="ticketsmart", base="/ticketsmart/api/v1", events="/events", event_id=lambda n: f"evt_{n}",
        auth=lambda k: {"x-api-key": k},
        malformed_auth=({}, {"x-api-key": ""}, {"x-api-key": "ts_sk_live_"}, {"x-api-key": "Bearer x"}),
        is_error=_ts_errors, items=lambda b: b["events"], first_page={"limit": "3"}, next_page=_ts_next,
        bad_params=({"limit": "abc"}, {"page": "0"}, {"status": "NOPE"}, {"dateFrom": "yesterday"}),
        rate_limit_settings={"ticketsmart": {"requests_per_minute": 3}}, cors=True,
    ),
    Adapter(
        name="tickettailor", base="/tickettailor/v1", events="/events", event_id=lambda n: f"ev_{n}",
        auth=_basic,
        malformed_auth=({}, {"authorization": "Basic"}, {"authorization": "Basic !!!"},
                        {"authorization": "Bearer sk_1_1_x"}, _basic("")),
        is_error=_tt_errors, items=lambda b: b["data"], first_page={"limit": "3"}, next_page=_tt_next,
        bad_params=({"limit": "abc"}, {"limit": "0"}, {"starting_after": "ev_999999999"},
                    {"starting_after": "garbage"}),
        rate_limit_settings={"tickettailor": {"requests_per_hour": 3}},
    ),
    Adapter(
        name="equaticket", base="/equaticket/api/v1", events="/events", event_id=lambda n: f"evt_{n}",
        auth=lambda k: {"authorization": f"Bearer {k}"},
        malformed_auth=({}, {"authorization": "Bearer"}, {"authorization": "Bearer sk_live_"},
                        {"authorization": "Basic abc"}),
        is_error=_eq_errors, items=lambda b: b["data"], first_page={"limit": "3"}, next_page=_eq_next,
        bad_params=({"limit": "abc"}, {"limit": "0"}, {"limit": "101"}, {"cursor": "not-a-cursor"}),
        rate_limit_settings={"equaticket": {"plan_requests_per_minute": {"free": 3, "starter": 3,
                                                                         "growth": 3, "pro": 3}}},
    ),
]
