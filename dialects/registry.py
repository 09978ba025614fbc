"""The one list of dialects: the app, the CLI, the configuration, the migration toolkit and key
creation all read it. A dialect is a package under ``dialects/`` exposing ``DIALECT``."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.keys import KeyRules
    from dialects.base import Dialect

NAMES: tuple[str, ...] = ("ticketsmart", "tickettailor", "equaticket")


@cache
def dialect(name: str) -> type[Dialect]:
    if name not in NAMES:
        raise KeyError(f"unknown dialect {name!r}; choose from {', '.join(NAMES)}")
    cls: type[Dialect] = importlib.import_module(f"dialects.{name}").DIALECT
    return cls


def dialects() -> dict[str, type[Dialect]]:
    return {name: dialect(name) for name in NAMES}


def key_rules(name: str) -> KeyRules:
    return dialect(name).keys
