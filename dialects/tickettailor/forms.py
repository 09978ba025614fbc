"""Write requests: form fields in, core inputs out, refusals as Ticket Tailor's validation errors.

Clients of the live API send writes as ``application/x-www-form-urlencoded`` fields; a JSON
object of the same fields is read too (a few clients send one). A multipart body, another
content type, a body that is not UTF-8 or a field given twice is a 400; a field the endpoint
does not take, or a value core refuses, is a 422 with ``errors: [{field, messages}]`` naming
the *wire* field (``venue``, not core's ``venue_name``), before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from core.errors import FieldError, ValidationFailed
from core.models import Input, parse
from dialects.base import BadRequest
from dialects.schema import Schema
from dialects.tickettailor.inputs import MAX_UNIX

FORM = "application/x-www-form-urlencoded"
MAX_FIELD = 20_000  # the longest text core stores (a description)
M = TypeVar("M", bound=Input)
Convert = Callable[[str, str], Any]  # (wire name, value) -> core value, or ValidationFailed


async def read_form(request: Request, schema: Schema) -> dict[str, str]:
    """The request's fields, each given once, as text (``schema``: the body's, write_fields.py)."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = await request.body()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return _json_fields(body, schema["properties"])
    if media.startswith("multipart/"):
        raise BadRequest(f"Send the fields as {FORM}; multipart bodies are not accepted")
    if media not in ("", FORM):
        raise BadRequest(f"Unsupported Content-Type {media!r}: send the fields as {FORM}")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The form body must be UTF-8 text") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise BadRequest(f"{name} must be given once", name)
        fields[name] = value
    return fields


def _json_fields(body: bytes, properties: Mapping[str, Schema]) -> dict[str, str]:
    """A JSON object's fields as the form's text; each value of the JSON type its field's schema
    says (an integer for ``price``, a string elsewhere: ``"true"`` for a flag, as the form sends)."""
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        raise BadRequest("Invalid JSON body") from None
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object of fields")
    out, errors = {}, []
    for name, value in data.items():
        wanted = properties.get(name, {}).get("type", "string")
        integer = isinstance(value, int) and not isinstance(value, bool)
        if (wanted == "integer" and not integer) or (wanted == "string" and not isinstance(value, str)):
            errors.append(FieldError(name, f"must be {'an integer' if wanted == 'integer' else 'a string'}"))
            continue
        out[name] = str(value)
    if errors:
        raise ValidationFailed(errors)
    return out


def unix(name: str, value: str) -> datetime:
    """A unix timestamp in seconds, digits only (as the reads' filters)."""
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_UNIX:
        raise ValidationFailed.single(name, f"must be a unix timestamp in seconds (0 to {MAX_UNIX})")
    return datetime.fromtimestamp(int(value), UTC)


def core_input(model: type[M], form: Mapping[str, str], names: Mapping[str, str],
               convert: Mapping[str, Convert] | None = None, extra: Mapping[str, Any] | None = None) -> M:
    """``form`` as ``model``: ``names`` maps each wire field the endpoint takes to its core field,
    ``convert`` turns some wire values into core values first; ``extra`` adds core values the
    endpoint works out itself. Every refusal names the wire field."""
    unknown = sorted(set(form) - set(names))
    errors = [FieldError(name, "is not a field of this request") for name in unknown]
    data: dict[str, Any] = dict(extra or {})
    for name, value in form.items():
        if name in unknown:
            continue
        if len(value) > MAX_FIELD or "\x00" in value:
            errors.append(FieldError(name, "is too long or holds a NUL character"))
            continue
        try:
            data[names[name]] = (convert or {}).get(name, _text)(name, value)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    try:
        return parse(model, data)
    except ValidationFailed as exc:
        raise renamed(exc, names) from None


def _text(name: str, value: str) -> Any:
    return value if value != "" else None  # an empty form field is a field left out


def renamed(exc: ValidationFailed, names: Mapping[str, str]) -> ValidationFailed:
    """``exc`` with core's field names replaced by the wire names they came from."""
    wire = {core: name for name, core in names.items()}
    return ValidationFailed([FieldError(wire.get(e.field.split(".")[0], e.field), e.message) for e in exc.errors])


def required(form: Mapping[str, str], *names: str) -> None:
    missing = [FieldError(name, "is required") for name in names if not form.get(name)]
    if missing:
        raise ValidationFailed(missing)
