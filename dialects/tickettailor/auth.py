"""HTTP Basic with the API key as the username and no password.

Real clients send ``base64(key:)`` (curl -u, requests' auth tuple), ``base64(key)``
(hand-built headers, as in the vendor's Ruby and Python samples) and even
``base64(key):`` (the vendor's PHP sample). All three are accepted.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from starlette.requests import Request

from dialects.base import AuthFailed

MAX_HEADER = 1024  # a key is about 80 characters; anything much longer is not a key


def basic_username(header: str | None) -> str:
    """The username of a Basic ``Authorization`` header, or AuthFailed."""
    if not header or len(header) > MAX_HEADER:
        raise AuthFailed("Missing API key")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise AuthFailed("Authentication must use HTTP Basic with the API key as username")
    token = token.strip().removesuffix(":")
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AuthFailed("Invalid Basic credentials") from None
    username = decoded.partition(":")[0]
    if not username or "\x00" in username:
        raise AuthFailed("Invalid API key")
    return username


def credential(request: Request) -> str:
    return basic_username(request.headers.get("authorization"))


def new_secret(livemode: bool, box_office_id: int, key_id: int) -> str:
    """The vendor's documented form: ``sk_<box office>_<key>_<random>``."""
    return f"sk_{box_office_id}_{key_id}_{secrets.token_hex(24)}"
