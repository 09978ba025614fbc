"""``x-api-key: ts_sk_live_…`` / ``ts_sk_test_…``: the secret a request presents, and new secrets.

A key of the wrong shape is refused before any lookup, so junk headers cost no query; the
lookup of a well-formed key is the shared pipeline's (dialects.base.Dialect.authenticate).
"""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request

from dialects.base import AuthFailed

HEADER = "x-api-key"
KEY_SHAPE = re.compile(r"ts_sk_(live|test)_[A-Za-z0-9_-]{16,128}")


def credential(request: Request) -> str:
    secret = request.headers.get(HEADER, "").strip()
    if not KEY_SHAPE.fullmatch(secret):
        raise AuthFailed("missing or malformed API key")
    return secret


def new_secret(livemode: bool, box_office_id: int, key_id: int) -> str:
    return f"ts_sk_{'live' if livemode else 'test'}_{secrets.token_urlsafe(32)}"
