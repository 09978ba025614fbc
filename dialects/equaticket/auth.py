"""Authorization: Bearer sk_live_... / sk_test_... to a Principal (the key decides the mode)."""

from __future__ import annotations

import secrets

from starlette.requests import Request

from core.keys import KeyStore, Principal
from dialects.base import AuthFailed

PREFIXES = ("sk_live_", "sk_test_")
MAX_SECRET = 200  # real secrets are ~51 characters; longer input is not worth hashing


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise AuthFailed("Missing API key. Send it as Authorization: Bearer sk_live_... or sk_test_...")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthFailed("Invalid Authorization header. Expected Authorization: Bearer sk_live_...")
    return token


async def authenticate(keys: KeyStore, request: Request) -> Principal:
    token = bearer_token(request)
    if len(token) > MAX_SECRET or not token.startswith(PREFIXES):
        raise AuthFailed("Invalid API key")
    principal = await keys.authenticate(token, "equaticket")
    if principal is None:
        raise AuthFailed("Invalid API key")
    return principal


def new_secret(livemode: bool, box_office_id: int, key_id: int) -> str:
    return f"sk_{'live' if livemode else 'test'}_{secrets.token_urlsafe(32)}"
