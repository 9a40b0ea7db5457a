"""Which peers may tell us the client's address: X-Forwarded-For and -Proto are believed only
from a trusted proxy (HAProxy in the compose stack, the ALB on ECS)."""

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = IPv4Network | IPv6Network


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests whose TCP peer lies in `networks`, the plain app
    for everyone else. No networks means every peer is a proxy, which is right only where the
    network admits nothing else (an ECS instance that accepts traffic from the ALB alone)."""

    def __init__(self, app: "WSGIApplication", count: int, networks: Iterable[Network]) -> None:
        self.direct = app
        self.proxied = ProxyFix(app, x_for=count, x_proto=count)
        self.networks = tuple(networks)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Any:
        app = self.proxied if self._from_proxy(environ.get("REMOTE_ADDR")) else self.direct
        return app(environ, start_response)

    def _from_proxy(self, peer: str | None) -> bool:
        if not self.networks:
            return True
        try:
            address = ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)
