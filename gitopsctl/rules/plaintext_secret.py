"""A values key naming a secret must reference a Kubernetes Secret, not hold the secret itself.

Rendered values are committed and readable by everyone with access to the repository, and Argo
CD shows them in its UI. A password, token, client secret, API key, license key, encryption key
or JWT secret belongs in a Kubernetes Secret that the chart reads (`existingSecret`,
`secretKeyRef`, Grafana's `$__file{...}`). Keys are matched ignoring case and separators, so
`clientSecret`, `client_secret` and `CLIENT-SECRET` are one name; an `env` item
(`name: DB_PASSWORD` with a `value`) counts as a key too.

Not flagged: keys that name where a secret is rather than the secret (`passwordSecretName`,
`passwordSecretKey`, `existingSecret`, `existingSecretPasswordKey`, `secretRef`,
`secretKeyRef`, `passwordKey` as a key inside a Secret, `licenseKeySecret`), mappings (such as
`valueFrom.secretKeyRef`), empty strings, and references resolved at run time (`$__file{...}`,
`$__env{...}`, `${VAR}`, Argo CD's `$secret:key`). A warning in general, an error in production.

Passing:

    auth:
      existingSecret: keycloak-admin
      passwordSecretKey: password

Failing:

    grafana.ini:
      auth.generic_oauth:
        client_secret: s3cr3t
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.paths import ValuePath, format_path
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment

ID = "plaintext-secret"
SEVERITY = Severity.WARNING
PRODUCTION_SEVERITY = Severity.ERROR

# Key names, lower-case without separators, that end in one of these name a secret.
SECRET_NAMES = (
    "password",
    "passwd",
    "secret",
    "token",
    "clientsecret",
    "licensekey",
    "encryptionkey",
    "jwtsecret",
    "apikey",
    "secretaccesskey",
)
# ... unless they end in one of these, which name where a secret is kept.
REFERENCE_SUFFIXES = (
    "secretname",
    "secretkey",
    "secretref",
    "secretkeyref",
    "existingsecret",
    "fromsecret",
    "pullsecret",
    "tlssecret",
)
# `<secret name>Secret` (passwordSecret, licenseKeySecret) names the Secret holding it.
_HOLDER = re.compile(r"(password|passwd|token|key)secret$")
# Grafana, Django and the AWS SDKs call a signing key itself `secret_key`.
_BARE_SECRET_KEY = "secretkey"
_SEPARATORS = re.compile(r"[^a-z0-9]")
_RUNTIME_REFERENCE = re.compile(
    r"\$__[a-z]+\{[^{}]*\}"  # Grafana: $__file{/path}, $__env{VAR}, $__vault{...}
    r"|\$\{[^{}]*\}"  # ${VAR}
    r"|\$[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?",  # Argo CD: $key or $secret-name:key
)


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for document in env.values:
        for path in _literal_secrets(document.values):
            message = (
                f"{format_path(path)} holds a plain-text secret: "
                "keep it in a Kubernetes Secret and reference that instead"
            )
            yield Hit(document.locate(path), message, document.app)


@functools.lru_cache(maxsize=4096)  # the same keys come again in every app and environment
def names_secret(key: str) -> bool:
    """Whether a key names a secret value, rather than where one is kept."""
    name = _SEPARATORS.sub("", key.lower())
    if name == _BARE_SECRET_KEY:
        return True
    if "existingsecret" in name or name.endswith(REFERENCE_SUFFIXES) or _HOLDER.search(name):
        return False
    return name.endswith(SECRET_NAMES)


def is_literal(value: Any) -> bool:
    """A non-empty string that is not a reference resolved at run time."""
    return (
        isinstance(value, str) and bool(value.strip()) and not _RUNTIME_REFERENCE.fullmatch(value)
    )


def _literal_secrets(values: Any, path: ValuePath = ()) -> Iterator[ValuePath]:
    if isinstance(values, Mapping):
        yield from _env_item(values, path)
        for key, value in values.items():
            child = (*path, str(key))
            if names_secret(str(key)) and is_literal(value):
                yield child
            else:
                yield from _literal_secrets(value, child)
    elif isinstance(values, list):
        for index, value in enumerate(values):
            yield from _literal_secrets(value, (*path, index))


def _env_item(item: Mapping[str, Any], path: ValuePath) -> Iterator[ValuePath]:
    """A container env entry: `name: DB_PASSWORD` with a literal `value`."""
    name = item.get("name")
    if isinstance(name, str) and names_secret(name) and is_literal(item.get("value")):
        yield (*path, "value")
