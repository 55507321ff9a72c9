"""Ingress hosts must be valid, in the environment's domain, claimed once, and covered by TLS.

DNS and the certificates of an environment exist only for names under its domain, so a host
outside it (a prod name left in staging) is never reached, or steals another environment's
traffic. Two Ingresses claiming one host leave Traefik to pick either for each request; the
second claim is reported, naming the first. A TLS list must cover every host of the Ingress, or
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
from gitopsctl.subjects.records import Environment, Ingress

ID = "ingress-host"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    claims: dict[str, Ingress] = {}
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


def _claimed_twice(claims: dict[str, Ingress], ingress: Ingress) -> Iterator[Hit]:
    for host, path in ingress.hosts:
        key = host.lower()
        first = claims.setdefault(key, ingress)
        if first is not ingress:
            message = (
                f"ingress {ingress.name!r} host {host!r} is already claimed by ingress "
                f"{first.name!r} of app {first.app!r}"
            )
            yield Hit(ingress.locate(path), message, ingress.app)


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
