"""A TLS Ingress must name its environment's ClusterIssuer, and that issuer must exist there.

cert-manager issues a certificate for an Ingress only when it carries the
`cert-manager.io/cluster-issuer` annotation. Without it the TLS secret is never created and
Traefik serves its default certificate; with another environment's issuer (a copy-paste from dev
to prod) the certificate comes from the wrong CA, or from an issuer that is not rendered in the
environment at all and so never comes. Ingresses without TLS are not checked; `annotations`
that are not a mapping are an error on every Ingress.

Passing (prod, whose issuer is `letsencrypt-prod`, rendered by the cluster-issuer app):

    ingress:
      enabled: true
      annotations:
        cert-manager.io/cluster-issuer: letsencrypt-prod
      tls: true

Failing (the dev issuer in prod):

    ingress:
      enabled: true
      annotations:
        cert-manager.io/cluster-issuer: selfsigned-cluster-issuer
      tls: true
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, Ingress

ID = "ingress-issuer"
SEVERITY = Severity.ERROR

CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
NAMESPACED_ISSUER = "cert-manager.io/issuer"


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for ingress in env.ingresses:
        for found in ingress.malformed_in("annotations"):
            malformed = f"ingress {ingress.name!r}: {found.message}"
            yield Hit(ingress.locate(found.path), malformed, ingress.app)
        if not (ingress.tls or ingress.tls_flag):
            continue
        message = _problem(env, ingress)
        if message is not None:
            yield Hit(ingress.locate(ingress.paths["issuer"]), message, ingress.app)


def _problem(env: Environment, ingress: Ingress) -> str | None:
    name = ingress.name
    issuer = ingress.annotations.get(CLUSTER_ISSUER)
    if not issuer:
        namespaced = (
            f" (it has {NAMESPACED_ISSUER}, which names a namespaced Issuer)"
            if ingress.annotations.get(NAMESPACED_ISSUER)
            else ""
        )
        return (
            f"ingress {name!r} serves TLS without a {CLUSTER_ISSUER} annotation{namespaced}: "
            f"{_fix(env)}"
        )
    if env.issuer is not None and issuer != env.issuer:
        return (
            f"ingress {name!r} names cluster issuer {issuer!r}, "
            f"not the environment's {env.issuer!r}"
        )
    if issuer not in env.issuers and (env.issuers or env.name is not None):
        return (
            f"ingress {name!r} names cluster issuer {issuer!r}, "
            "which no ClusterIssuer rendered in this environment defines"
        )
    return None


def _fix(env: Environment) -> str:
    if env.issuer is not None:
        return f"set it to {env.issuer!r}"
    if len(env.issuers) == 1:
        return f"set it to {next(iter(env.issuers))!r}"
    return "set it to the environment's ClusterIssuer"
