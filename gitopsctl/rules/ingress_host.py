"""Ingress hosts must be valid, in the environment's domain, claimed once, and covered by TLS.

DNS and the certificates of an environment exist only for names under its domain, so a host
outside it (a prod name left in staging) is never reached, or steals another environment's
traffic. Two Ingresses claiming one route leave Traefik to pick either for each request; the
second claim is reported, naming the first. A route is a host and a path of a pathType, as
`spec.rules[].http.paths[]` lists them: the same host with different paths (`/` and `/api`) in two
Ingresses is fine, the same path with the same pathType twice is the error (a `Prefix` path is
compared without its trailing `/`, as Kubernetes matches it: `/api` and `/api/` are one route).
Paths of different pathTypes are different claims. A host whose paths are not known, from chart
values or a rule without `http.paths`, claims every path of the host and so conflicts with any
other claim on it. A TLS list must cover every host of the Ingress, or
cert-manager issues a certificate without it, and every TLS entry needs a `secretName` for
cert-manager to store the certificate in. Every host, of the rules and of the TLS list, must be
one Kubernetes accepts: a lower-case DNS-1123 subdomain (labels of at most 63 characters, 253 in
all, no trailing dot, ASCII only) with at most a leading `*.` wildcard label. Hosts, TLS entries
and secret names of the wrong type (a number, a string where a list belongs) are errors, never
skipped.

Passing (staging, domain `staging.platform.example.com`):

    ingress:
      enabled: true
      hosts: [grafana.staging.platform.example.com]
      tls:
        - hosts: [grafana.staging.platform.example.com]
          secretName: grafana-staging-platform-example-com-tls

Failing (a prod host, and a TLS entry with neither the host nor a secretName):

    ingress:
      enabled: true
      hosts: [grafana.platform.example.com]
      tls:
        - hosts: [grafana.staging.platform.example.com]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.dns import host_problem
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, Ingress, RouteClaim

ID = "ingress-host"
SEVERITY = Severity.ERROR

PREFIX = "Prefix"
# The routes claimed so far, by lower-case host, with the Ingress that claimed each.
Claims = dict[str, list[tuple[RouteClaim, Ingress]]]


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    claims: Claims = {}
    for ingress in env.ingresses:
        yield from _malformed(ingress)
        yield from _invalid_hosts(ingress)
        yield from _outside_domain(env.domain, ingress)
        yield from _claimed_twice(claims, ingress)
        yield from _uncovered(ingress)
        yield from _without_secret(ingress)


def in_domain(host: str, domain: str) -> bool:
    """Whether a host (a wildcard included) is the domain or a name under it."""
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return host == domain or host.endswith(f".{domain}")


def covers(tls_host: str, host: str) -> bool:
    """Whether a certificate name covers a host: equal, or a wildcard for exactly one label."""
    tls_host, host = tls_host.lower(), host.lower()
    if tls_host == host:
        return True
    if not tls_host.startswith("*."):
        return False
    label, _, rest = host.partition(".")
    return bool(label) and label != "*" and rest == tls_host[2:]


def _malformed(ingress: Ingress) -> Iterator[Hit]:
    for found in ingress.malformed_in("hosts", "tls"):
        message = f"ingress {ingress.name!r}: {found.message}"
        yield Hit(ingress.locate(found.path), message, ingress.app)


def _invalid_hosts(ingress: Ingress) -> Iterator[Hit]:
    """Hosts Kubernetes refuses; an empty rule host is a catch-all rule, not a host."""
    tls_hosts = [
        (host, entry.host_paths[index] if index < len(entry.host_paths) else entry.path)
        for entry in ingress.tls
        for index, host in enumerate(entry.hosts)
    ]
    rule_hosts = [(host, path) for host, path in ingress.hosts if host]
    for host, path in [*rule_hosts, *tls_hosts]:
        problem = host_problem(host)
        if problem is not None:
            message = (
                f"ingress {ingress.name!r} host {host[:80]!r} is not a valid Kubernetes Ingress "
                f"host: {problem}"
            )
            yield Hit(ingress.locate(path), message, ingress.app)


def _outside_domain(domain: str | None, ingress: Ingress) -> Iterator[Hit]:
    if domain is None:
        return
    for host, path in ingress.hosts:
        if not in_domain(host, domain):
            message = (
                f"ingress {ingress.name!r} host {host!r} is outside the environment's domain "
                f"{domain!r}"
            )
            yield Hit(ingress.locate(path), message, ingress.app)


def _claimed_twice(claims: Claims, ingress: Ingress) -> Iterator[Hit]:
    """Each route another Ingress claimed before; the Ingress's own routes never conflict."""
    routes = ingress.route_claims()
    for route in routes:
        earlier = claims.get(route.host.lower(), [])
        first = next((i for claim, i in earlier if i is not ingress and _same(claim, route)), None)
        if first is not None:
            message = (
                f"ingress {ingress.name!r} {_describe(route)} is already claimed by ingress "
                f"{first.name!r} of app {first.app!r}"
            )
            yield Hit(ingress.locate(route.where), message, ingress.app)
    for route in routes:
        claims.setdefault(route.host.lower(), []).append((route, ingress))


def _same(claim: RouteClaim, other: RouteClaim) -> bool:
    """Whether two routes of one host overlap: one claims every path, or path and type agree."""
    if claim.path is None or other.path is None:
        return True
    return claim.path_type == other.path_type and _route_key(claim) == _route_key(other)


def _route_key(route: RouteClaim) -> str | None:
    if route.path is not None and route.path_type == PREFIX:
        return route.path.rstrip("/") or "/"
    return route.path


def _describe(route: RouteClaim) -> str:
    if route.path is None:
        return f"host {route.host!r}"
    return f"host {route.host!r} path {route.path!r} ({route.path_type})"


def _uncovered(ingress: Ingress) -> Iterator[Hit]:
    if not ingress.tls:
        return
    tls_hosts = [host for entry in ingress.tls for host in entry.hosts]
    for host in _unique(host for host, _ in ingress.hosts):
        if not any(covers(tls_host, host) for tls_host in tls_hosts):
            message = (
                f"ingress {ingress.name!r} host {host!r} is not in the hosts of any tls entry: "
                "its certificate would not cover it"
            )
            yield Hit(ingress.locate(ingress.paths["tls"]), message, ingress.app)


def _without_secret(ingress: Ingress) -> Iterator[Hit]:
    for entry in ingress.tls:
        if not entry.secret_name:
            message = (
                f"ingress {ingress.name!r} tls[{entry.path[-1]}] has no secretName: "
                "cert-manager has nowhere to store the certificate"
            )
            yield Hit(ingress.locate(entry.path), message, ingress.app)


def _unique(hosts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(hosts))
