"""JSON Schema (OpenAPI 3.1) building blocks every dialect's ``openapi.py`` composes.

One module for the helpers the three documents share: scalar schemas, closed objects,
references, arrays, enums, prefixed ids and parameters. A dialect's own conventions (its
error bodies, its paging parameters, its security scheme) stay in its ``openapi.py``.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
NULL_STRING: Schema = {"type": ["string", "null"]}
NULL_INTEGER: Schema = {"type": ["integer", "null"]}
NULL_BOOLEAN: Schema = {"type": ["boolean", "null"]}
TIME: Schema = {"type": "string", "format": "date-time"}
NULL_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
BOOL_STRING: Schema = {"type": "string", "enum": ["true", "false"]}  # vendors that send booleans as text


def nullable(schema: Schema) -> Schema:
    """``schema`` that also admits null (a ``type`` list, as JSON Schema 2020-12 writes it)."""
    kind = schema.get("type")
    if kind is None:
        return {"anyOf": [schema, {"type": "null"}]}
    kinds = kind if isinstance(kind, list) else [kind]
    out = {**schema, "type": [*dict.fromkeys([*kinds, "null"])]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: list[str] | None = None, *, closed: bool = True) -> Schema:
    """An object; every property required unless ``required`` says otherwise; closed by default,
    so tests validating real responses catch a field the serializer adds but the document lacks."""
    schema: Schema = {"type": "object", "properties": properties,
                      "required": list(properties) if required is None else required}
    if closed:
        schema["additionalProperties"] = False
    return schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(dict.fromkeys(values))}


def const(value: Any) -> Schema:
    return {"const": value}


def prefixed(prefix: str, *, null: bool = False) -> Schema:
    """An id such as ``ev_12`` (``prefix`` includes any separator)."""
    return {"type": ["string", "null"] if null else "string", "pattern": f"^{prefix}[0-9]+$"}


def parameter(name: str, where: str, schema: Schema, description: str = "", *, required: bool | None = None
              ) -> Schema:
    """An operation parameter; path parameters are always required."""
    param: Schema = {"name": name, "in": where, "required": where == "path" if required is None else required,
                     "schema": schema}
    if description:
        param["description"] = description
    return param


def json_content(schema: Schema, description: str, headers: dict[str, Any] | None = None) -> Schema:
    """A response (or request body) carrying JSON of ``schema``."""
    response: Schema = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def document(title: str, version: str, paths: dict[str, Any], schemas: dict[str, Schema], *,
             security: dict[str, Schema], servers: list[Schema] | None = None, **extra: Any) -> Schema:
    """An OpenAPI 3.1 document with one security scheme set applied to every operation by default."""
    doc: Schema = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security},
        "security": [{name: []} for name in security],
        **extra,
    }
    if servers is not None:
        doc["servers"] = servers
    return doc


def id_pattern(kind: str) -> str:
    """The pattern of every id form ``core.ids.parse_id`` reads for ``kind`` (any dialect's prefix,
    or the bare number): what a filter naming an object accepts."""
    from core.ids import PREFIXES  # here, not at the top: the document helpers need nothing else of core

    prefixes = "|".join(PREFIXES[kind])
    return f"^({prefixes})?[1-9][0-9]{{0,17}}$"
