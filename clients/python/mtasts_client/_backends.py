"""The backends a spread fleet uses: one per address of the target.

    "ipv4:10.0.0.1:50051,10.0.0.2:50051"
        -> ipv4:10.0.0.1:50051, ipv4:10.0.0.2:50051
    "ipv6:[::1]:1,[::1]:2"
        -> ipv6:[::1]:1, ipv6:[::1]:2
    "dns:///checker.internal:50051"
        -> every address the system resolver (getaddrinfo) gives, as
           ipv4:/ipv6:, with authority checker.internal:50051
    anything else ("host:port", "unix:...", "dns://server/name:port")
        -> one backend, the target as given

The same rules as the C++ library's ResolveBackends (clients/cpp/backends.h).
A plain "host:port" stays one backend on purpose: "localhost:50051" often
resolves to 127.0.0.1 and ::1, the same server twice.
"""

from __future__ import annotations

import dataclasses
import socket
from typing import Optional

import grpc

from mtasts_client._client import MtaStsError

# Longest target accepted (a list of a few hundred addresses).
_MAX_TARGET_CHARS = 16 * 1024


@dataclasses.dataclass(frozen=True)
class Backend:
    """One backend of a target.

    Attributes:
      target: what the backend's channel is built with ("ipv4:10.0.0.1:50051").
      authority: the name the caller gave ("checker.internal:50051"), sent as
        :authority and checked against the TLS certificate; None: gRPC's
        default for the target.
    """

    target: str
    authority: Optional[str] = None


def _valid_port(port: str) -> bool:
    return port.isascii() and port.isdigit() and 1 <= int(port) <= 65535


def _check_address(scheme: str, address: str) -> None:
    colon = address.rfind(":")
    if colon <= 0 or not _valid_port(address[colon + 1:]):
        raise ValueError(f"target {scheme}: {address!r:.80} is not "
                         "address:port (port 1-65535)")


def _resolve_dns(host_port: str) -> list[Backend]:
    host, port = host_port, "443"  # gRPC's default port
    if host_port.startswith("["):
        close = host_port.find("]")
        if close < 0:
            raise ValueError(f"target dns:///{host_port:.80}: no ']'")
        host = host_port[1:close]
        rest = host_port[close + 1:]
        if rest.startswith(":"):
            port = rest[1:]
    elif ":" in host_port:
        host, _, port = host_port.rpartition(":")
    if not host or not _valid_port(port):
        raise ValueError(f"target dns:///{host_port:.80} is not host:port "
                         "(port 1-65535)")
    try:
        found = socket.getaddrinfo(host, int(port), socket.AF_UNSPEC,
                                   socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise MtaStsError(grpc.StatusCode.UNAVAILABLE,
                          f"cannot resolve {host:.255}: {e}") from None
    backends: list[Backend] = []
    for family, _, _, _, sockaddr in found:
        if family == socket.AF_INET:
            target = f"ipv4:{sockaddr[0]}:{port}"
        elif family == socket.AF_INET6:
            target = f"ipv6:[{sockaddr[0]}]:{port}"
        else:
            continue
        backend = Backend(target, host_port)
        if backend not in backends:
            backends.append(backend)
    if not backends:
        raise MtaStsError(grpc.StatusCode.UNAVAILABLE,
                          f"no address for {host:.255}")
    return backends


def resolve_backends(target: str) -> list[Backend]:
    """The backends of `target`, in the target's (or the resolver's) order,
    each once.

    Raises:
      ValueError: an empty or over-long target, an ipv4:/ipv6: list with an
        empty address or a port that is not 1-65535, a dns:/// target that
        is not host:port.
      MtaStsError: UNAVAILABLE when a dns:/// name does not resolve.
    """
    if not target:
        raise ValueError("empty target")
    if len(target) > _MAX_TARGET_CHARS:
        raise ValueError(f"target is over {_MAX_TARGET_CHARS} characters")
    for scheme in ("ipv4:", "ipv6:"):
        if target.startswith(scheme):
            backends: list[Backend] = []
            for address in target[len(scheme):].split(","):
                _check_address(scheme, address)
                backend = Backend(scheme + address)
                if backend not in backends:
                    backends.append(backend)
            return backends
    if target.startswith("dns:///"):
        return _resolve_dns(target[len("dns:///"):])
    # "dns:name:port" is dns:///name:port; "dns://server/..." names a DNS
    # server the system resolver cannot be told about: gRPC resolves it.
    if target.startswith("dns:") and not target.startswith("dns://"):
        return _resolve_dns(target[len("dns:"):])
    return [Backend(target)]
