"""DNS names as Kubernetes validates them: the subdomains that name objects (a Secret), and the
hosts of an Ingress (`spec.rules[].host`, `spec.tls[].hosts`), where a leading `*.` label is
allowed.

The patterns are Kubernetes' own (k8s.io/apimachinery `IsDNS1123Subdomain`,
`IsWildcardDNS1123Subdomain`); labels are also held to DNS's 63 characters, and an IP address is
not a host (networking.k8s.io refuses it for `rules[].host`).
"""

from __future__ import annotations

import ipaddress
import re

SUBDOMAIN_MAX = 253
LABEL_MAX = 63
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_WILDCARD = re.compile(rf"\*\.{_LABEL}(\.{_LABEL})*")
SUBDOMAIN_RULE = (
    "a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', each label starting and "
    "ending with a letter or digit)"
)


def subdomain_problem(name: str) -> str | None:
    """Why a name is not a DNS-1123 subdomain (the name of a Secret), or None."""
    return _problem(name, wildcard=False)


def label_problem(name: str) -> str | None:
    """Why a name is not a DNS-1123 label (the name of a Namespace), or None."""
    if "." in name:
        return "it has a '.' (a label is one part of a domain name)"
    return _problem(name, wildcard=False) or _length_problem(name)


def rfc1035_label_problem(name: str) -> str | None:
    """Why a name is not a DNS-1035 label (the name of a Service: it starts with a letter)."""
    problem = label_problem(name)
    if problem is None and not name[0].isalpha():
        return "it does not start with a letter"
    return problem


def _length_problem(name: str) -> str | None:
    if len(name) > LABEL_MAX:
        return f"it has {len(name)} characters, more than {LABEL_MAX}"
    return None


def host_problem(host: str) -> str | None:
    """Why a string is not a valid Ingress host, or None."""
    if _is_ip_address(host):
        return "an IP address is not a host name: Kubernetes accepts only DNS names"
    return _problem(host, wildcard=True)


def _problem(name: str, wildcard: bool) -> str | None:
    if not name:
        return "it is empty"
    if not name.isascii():
        return "it has non-ASCII characters (write an internationalized name in punycode)"
    if len(name) > SUBDOMAIN_MAX:
        return f"it has {len(name)} characters, more than {SUBDOMAIN_MAX}"
    if name.endswith("."):
        return "it ends in a dot (Kubernetes does not take the root label)"
    body = name[2:] if wildcard and name.startswith("*.") else name
    bad = next((c for c in body if not (c.isalnum() or c in "-.")), None)
    if bad == "*":
        return "it has a '*' that is not its whole first label" if wildcard else "it has a '*'"
    if bad is not None:
        return f"it has the character {bad!r}"
    if name != name.lower():
        return "it has upper-case letters"
    return _label_problem(body) or _pattern_problem(name, wildcard)


def _label_problem(body: str) -> str | None:
    for label in body.split("."):
        if not label:
            return "it has an empty label (a leading or double dot)"
        if len(label) > LABEL_MAX:
            return f"its label {label[:20]!r}... has {len(label)} characters, more than {LABEL_MAX}"
        if not (label[0].isalnum() and label[-1].isalnum()):
            return f"its label {label!r} does not start and end with a letter or digit"
    return None


def _pattern_problem(name: str, wildcard: bool) -> str | None:
    """Kubernetes' own patterns have the last word."""
    pattern = _WILDCARD if wildcard and name.startswith("*.") else _SUBDOMAIN
    return None if pattern.fullmatch(name) else f"it is not {SUBDOMAIN_RULE}"


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
