"""The one list of dialects: the app, the CLI, the configuration, the migration toolkit and key
creation all read it. A dialect is a package under ``dialects/<name>/`` exposing ``DIALECT``,
with its settings in ``settings.py`` (``Settings``) and its vendor client in ``client.py``."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.keys import KeyRules
    from dialects.base import Dialect
    from dialects.settings import DialectSettings

NAMES: tuple[str, ...] = ("ticketsmart", "tickettailor", "equaticket")


def _module(name: str, part: str = "") -> ModuleType:
    if name not in NAMES:
        raise KeyError(f"unknown dialect {name!r}; choose from {', '.join(NAMES)}")
    return importlib.import_module(f"dialects.{name}{part}")


@cache
def dialect(name: str) -> type[Dialect]:
    cls: type[Dialect] = _module(name).DIALECT
    return cls


@cache
def settings_class(name: str) -> type[DialectSettings]:
    """The dialect's ``[dialects.<name>]`` section (``dialects/<name>/settings.py``)."""
    cls: type[DialectSettings] = _module(name, ".settings").Settings
    return cls


def client_module(name: str) -> ModuleType:
    """The dialect's vendor client (``dialects/<name>/client.py``): paths, paging, parsers."""
    return _module(name, ".client")


def dialects() -> dict[str, type[Dialect]]:
    return {name: dialect(name) for name in NAMES}


def key_rules(name: str) -> KeyRules:
    return dialect(name).keys
