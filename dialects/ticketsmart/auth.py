"""``x-api-key: ts_sk_live_…`` / ``ts_sk_test_…`` to a principal.

A key of the wrong shape is refused before any lookup, so junk headers cost no query.
"""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request

from core.keys import KeyStore, Principal
from dialects.base import AuthFailed

HEADER = "x-api-key"
KEY_SHAPE = re.compile(r"ts_sk_(live|test)_[A-Za-z0-9_-]{16,128}")


async def authenticate(keys: KeyStore, request: Request) -> Principal:
    secret = request.headers.get(HEADER, "").strip()
    if not KEY_SHAPE.fullmatch(secret):
        raise AuthFailed("missing or malformed API key")
    principal = await keys.authenticate(secret, "ticketsmart")
    if principal is None:
        raise AuthFailed("unknown or revoked API key")
    return principal


def new_secret(livemode: bool, box_office_id: int, key_id: int) -> str:
    return f"ts_sk_{'live' if livemode else 'test'}_{secrets.token_urlsafe(32)}"
