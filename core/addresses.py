"""Which hosts a webhook may be sent to: no loopback, private or otherwise internal address.

Used twice: at creation and update of a subscription, on the URL's literal host (an address
written any way a resolver would read it, or a name that can only be internal), and at delivery,
on every address the host name resolves to (gateway/egress.py), so a public name that points
inside, or is re-pointed there later, is refused too. No I/O here: resolving is the gateway's.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

INTERNAL_NAMES = ("localhost", "localhost.localdomain")
INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")  # unique-local
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")  # a last label a URL parser reads as IPv4


def parse_address(host: str) -> Address | None:
    """The address a literal host stands for, read the way resolvers read it (inet_aton:
    ``2130706433``, ``0x7f.1``, ``127.1`` and ``0177.0.0.1`` are all 127.0.0.1); None for a name."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries to (mapped, 6to4, NAT64, Teredo's server)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.teredo[1] if ip.teredo is not None else None


def address_refusal(ip: Address) -> str | None:
    """Why ``ip`` is no place to send a webhook (``"private"``, ``"loopback"``...), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and (reason := address_refusal(embedded)):
            return f"{reason}, IPv4 in IPv6"
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
              ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("CGNAT", ip in CGNAT), ("unique-local", ip.version == 6 and ip in _ULA),
              ("reserved", ip.is_reserved), ("private", ip.is_private),
              ("not globally reachable", not ip.is_global))
    return next((name for name, hit in checks if hit), None)


def name_refusal(host: str) -> str | None:
    """Why a host *name* is refused before any lookup: internal-only names, invalid IDNA, or a
    numeric last label that is not a valid address (a URL parser would read it as one)."""
    name = host.rstrip(".").lower()
    if name in INTERNAL_NAMES or name.endswith(INTERNAL_SUFFIXES):
        return "an internal-only name"
    try:
        ascii_name = name.encode("idna").decode("ascii")
        labels = ascii_name.split(".")
        for label in labels:
            if label.startswith("xn--"):
                label.encode("ascii").decode("idna")  # empty or invalid punycode raises
    except UnicodeError:
        return "not a valid internationalised name"
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        return "not a valid host name"
    if _NUMERIC.match(labels[-1]):
        return "not a valid address"
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """The operator's allowlist (CIDRs of internal receivers) and the development switch (which
    lets loopback through, for a receiver on the developer's own machine)."""

    development: bool = False
    allow: tuple[Network, ...] = ()

    @classmethod
    def of(cls, *, development: bool, allow: Iterable[str] = ()) -> AddressPolicy:
        return cls(development, tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allow))

    def refusal(self, ip: Address) -> str | None:
        if any(ip.version == net.version and ip in net for net in self.allow):
            return None
        if self.development and is_loopback(ip):
            return None
        return address_refusal(ip)

    def host_refusal(self, host: str) -> str | None:
        """Why a URL's host is refused as written (before resolving it), or None."""
        ip = parse_address(host)
        if ip is not None:
            return self.refusal(ip)
        if self.development and host.rstrip(".").lower() in INTERNAL_NAMES:
            return None
        return name_refusal(host)


def is_loopback(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback
