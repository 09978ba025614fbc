"""A resolver answering from a table: the tests' names never reach a real DNS server."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field


@dataclass
class FakeResolver:
    answers: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: no such name (fake resolver)")
        return self.answers[host]
