"""Authorization: Bearer sk_live_... / sk_test_... : the secret a request presents (the key decides the mode)."""

from __future__ import annotations

import secrets

from starlette.requests import Request

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


def credential(request: Request) -> str:
    """The secret of the request; one that cannot be a key is refused before any lookup."""
    token = bearer_token(request)
    if len(token) > MAX_SECRET or not token.startswith(PREFIXES):
        raise AuthFailed("Invalid API key")
    return token


def new_secret(livemode: bool, box_office_id: int, key_id: int) -> str:
    return f"sk_{'live' if livemode else 'test'}_{secrets.token_urlsafe(32)}"
