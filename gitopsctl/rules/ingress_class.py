"""An enabled Ingress must use the platform's ingress class, provided by an app of its environment.

Traefik serves only Ingresses of its class (`traefik-ingress`); an Ingress without
`ingressClassName`, with another class, or with a class no enabled app provides is never served.
An `ingressClassName` that is not a string, and an `enabled` that is not a boolean (Helm's `if`
takes the string "false" as true), are errors too: the check never skips what it cannot read.
Manifests checked outside a platform repository have no platform class: the class is checked
only against the one `--ingress-class` names.

Passing (the class is the platform's, and traefik-ingress is enabled in the environment):

    ingress:
      enabled: true
      ingressClassName: traefik-ingress

Failing (another class):

    ingress:
      enabled: true
      ingressClassName: nginx
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, Ingress

ID = "ingress-class"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for ingress in env.ingresses:
        for found in ingress.malformed_in("enabled", "class"):
            malformed = f"ingress {ingress.name!r}: {found.message}"
            yield Hit(ingress.locate(found.path), malformed, ingress.app)
        if ingress.malformed_in("class"):
            continue
        message = _problem(env, ingress)
        if message is not None:
            yield Hit(ingress.locate(ingress.paths["class"]), message, ingress.app)


def _problem(env: Environment, ingress: Ingress) -> str | None:
    name = ingress.name
    if env.ingress_class is None:  # manifests outside a platform, no --ingress-class
        return None
    if not ingress.class_name:
        return f"ingress {name!r} has no ingressClassName: set it to {env.ingress_class!r}"
    if ingress.class_name != env.ingress_class:
        return (
            f"ingress {name!r} uses class {ingress.class_name!r}, "
            f"not the platform's {env.ingress_class!r}"
        )
    if ingress.class_name not in env.ingress_class_providers:
        return (
            f"ingress {name!r} uses class {ingress.class_name!r}, "
            "which no enabled app of this environment provides"
        )
    return None
