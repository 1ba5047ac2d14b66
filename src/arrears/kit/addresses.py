"""Who the client is when reverse proxies sit in front: ``X-Forwarded-For`` is believed only
as far as it was written by proxies we trust. Pure; no web framework."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51000"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket is the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the peer itself unless the peer is a trusted proxy; then the
    ``X-Forwarded-For`` chain is walked from the right (each proxy appends the address it saw),
    past every trusted proxy, to the first address no trusted proxy vouches for. Entries left of
    it were written by the client and are ignored; so is a garbled entry (the last trusted hop
    is then the client as far as we can tell)."""
    current = _address(peer)
    if current is None or not forwarded_for or not _trusted(current, trusted):
        return str(current) if current is not None else peer
    for entry in reversed(forwarded_for.split(",")):
        hop = _address(entry)
        if hop is None:
            break
        current = hop
        if not _trusted(hop, trusted):
            break
    return str(current)
