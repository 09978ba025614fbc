"""Where a webhook may be sent: the host resolved once, every address checked, the checked one used.

The sender connects to the address this module returned, never to the name, so a name that
answers a public address to the check and an internal one to a second lookup (DNS rebinding)
gets no second lookup. The resolver is an object so tests answer with a fake one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Protocol

from core.addresses import Address, AddressPolicy, parse_address


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The system's resolver (getaddrinfo, in the loop's thread pool)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Refused(Exception):
    """The host is, or resolves to, an address webhooks may not reach (the message says which)."""


async def checked_address(host: str, port: int, policy: AddressPolicy, resolver: Resolver) -> Address:
    """The address to connect to for ``host``: a literal one as written, else the first one the
    name resolves to, once every one it resolves to is allowed (a name with one internal
    address among public ones is refused: the client could pick it)."""
    literal = parse_address(host)
    if literal is not None:
        if reason := policy.refusal(literal):
            raise Refused(f"{host} is a {reason} address")
        return literal
    if reason := policy.host_refusal(host):
        raise Refused(f"{host} is {reason}")
    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolver.resolve(host, port)]
    if not addresses:
        raise Refused(f"{host} resolves to no address")
    for ip in addresses:
        if reason := policy.refusal(ip):
            raise Refused(f"{host} resolves to {ip} ({reason})")
    return addresses[0]
