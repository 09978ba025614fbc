"""Consistent pseudonyms for credentials and personal data, before anything reaches a capture.

A pseudonym is an HMAC-SHA256 of the value under a secret: the same email gives the same
pseudonym across the whole capture (so joins and comparisons still work), and without the
secret it cannot be reversed or guessed from a list of candidate emails. Which JSON keys,
headers and query parameters hold what is declared below, as data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization", "cookie", "set-cookie"})
# JSON keys (any dialect's spelling) -> kind of personal data
KEY_KINDS: dict[str, str] = {
    "email": "email", "buyer_email": "email", "buyerEmail": "email",
    "phone": "phone", "buyer_phone": "phone", "buyerPhone": "phone",
    "first_name": "name", "last_name": "name", "full_name": "name", "buyer_name": "name", "buyerName": "name",
    "address_1": "address", "address_2": "address", "address_3": "address",
    "buyer_address": "address", "secret": "secret", "api_key": "secret", "key": "secret",
}
# keys that are personal only inside a buyer object ("name" of an event is not personal)
BUYER_OBJECTS = frozenset({"buyer_details", "buyer", "attendee"})
BUYER_KEY_KINDS = {"name": "name", "postal_code": "address", "address": "address"}
QUERY_KINDS = {"email": "email", "buyer_email": "email", "phone": "phone", "api_key": "secret", "key": "secret",
               "token": "secret", "access_token": "secret"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
API_KEY = re.compile(r"\b(?:ts_sk_(?:live|test)_|sk_(?:live|test)_|tt_key_)[A-Za-z0-9_-]{8,}")
PSEUDONYM_DOMAIN = "example.invalid"


class Redactor:
    def __init__(self, secret: str | bytes | None = None) -> None:
        self.known_secret = secret is not None
        raw = secret if secret is not None else secrets.token_bytes(32)
        self.key = raw.encode() if isinstance(raw, str) else raw

    def digest(self, kind: str, value: str) -> str:
        text = value.strip().lower() if kind == "email" else value.strip()
        return hmac.new(self.key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()

    def pseudonym(self, kind: str, value: Any) -> Any:
        """The stand-in for ``value``; None and already-pseudonymised values are kept."""
        if value is None or value == "" or is_pseudonym(value):
            return value
        if isinstance(value, dict | list):
            return self.value(value, kind)
        h = self.digest(kind, str(value))
        if kind == "email":
            return f"user-{h[:12]}@{PSEUDONYM_DOMAIN}"
        if kind == "phone":
            return "+1555" + str(int(h[:12], 16))[-7:].zfill(7)
        if kind == "name":
            return f"Person-{h[:8]}"
        if kind == "address":
            return f"Address-{h[:8]}"
        return f"redacted-{h[:12]}"

    def value(self, data: Any, kind: str | None = None, parent: str = "") -> Any:
        """A JSON value with every personal field and embedded email or key replaced."""
        if isinstance(data, dict):
            return {k: self.value(v, self._kind(k, parent, kind), k) for k, v in data.items()}
        if isinstance(data, list):
            return [self.value(v, kind, parent) for v in data]
        if kind is not None and isinstance(data, str | int | float) and not isinstance(data, bool):
            return self.pseudonym(kind, data)
        if isinstance(data, str):
            return self.text(data)
        return data

    def _kind(self, key: str, parent: str, inherited: str | None) -> str | None:
        if inherited is not None:
            return inherited
        if parent in BUYER_OBJECTS and key in BUYER_KEY_KINDS:
            return BUYER_KEY_KINDS[key]
        return KEY_KINDS.get(key)

    def text(self, text: str) -> str:
        """Free text with emails and API keys replaced wherever they appear."""
        text = API_KEY.sub(lambda m: self.pseudonym("secret", m.group(0)), text)
        return EMAIL.sub(lambda m: m.group(0) if is_pseudonym(m.group(0)) else self.pseudonym("email", m.group(0)),
                         text)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.pseudonym("secret", value) if name.lower() in SECRET_HEADERS else self.text(value)
                for name, value in headers.items()}

    def query(self, params: list[tuple[str, str]]) -> list[list[str]]:
        return [[k, self.pseudonym(QUERY_KINDS[k], v) if k in QUERY_KINDS else self.text(v)] for k, v in params]


def is_pseudonym(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    return value.endswith("@" + PSEUDONYM_DOMAIN) or value.startswith(("Person-", "Address-", "redacted-")) \
        or (value.startswith("+1555") and len(value) == 12)
