"""Faults as tests: real `ticketgate` processes (tests/ops/procs.py) on a fresh database each."""

from tests.ops.conftest import fresh_dsn

__all__ = ["fresh_dsn"]
