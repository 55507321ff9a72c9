"""An app's database host must be the read-write service of a database cluster of its environment.

CloudNativePG creates `<cluster>-rw`, `-ro` and `-r` services for every cluster; applications
write, so they must connect to `<cluster>-rw.<database namespace>.svc.cluster.local` of a cluster
that is rendered in the same environment (with `validate --manifests --env ENV`, the clusters the
sources render for ENV count too, though their objects are not among the manifests). A host
naming a cluster that does not exist (a typo, a cluster renamed, one not enabled in this
environment), a read-only service, or another namespace fails only when the application starts.

Checked in every app's values: any string holding a `*.svc.cluster.local` name whose first label
ends in `-rw`, `-ro` or `-r` (inside a URL too), and every value of a `host` or `hostname` key
(or `dbHost`, `DATABASE_HOSTNAME`...) under a path mentioning postgres, postgresql, database,
db or externalDatabase. A `:port` after the host is allowed. A value of such a key that is not a
string (a number, a mapping, a list) is an error too: it is no host at all; one that is a flag
(`"true"`, `"false"`, `"yes"`, `"no"`: bitnami's `POSTGRESQL_LOG_HOSTNAME` is one) is no host
either and is not checked.

Passing:

    externalDatabase:
      host: keycloak-db-rw.database.svc.cluster.local

Failing (no cluster `kc-db` is rendered in the environment):

    externalDatabase:
      host: kc-db-rw.database.svc.cluster.local
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.names import database_host
from gitopsctl.paths import ValuePath, describe, format_path
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment

ID = "db-connection"
SEVERITY = Severity.ERROR

# A `<service>-rw|ro|r.<namespace>.svc.cluster.local` name anywhere in a string (a URL, a DSN).
_SERVICE_HOST = re.compile(
    r"(?<![-A-Za-z0-9.])"
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?-(?:rw|ro|r)"
    r"(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)+\.svc\.cluster\.local"
    r"(?![-A-Za-z0-9]|\.[A-Za-z0-9])",
    re.IGNORECASE,
)
_TRAILING_PORT = re.compile(r":[0-9]+$")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_HOST_WORDS = ("host", "hostname")
_DATABASE_WORDS = frozenset({"db", "database", "postgres", "postgresql", "pg"})
_SERVICE_SUFFIXES = ("-rw", "-ro", "-r")
_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off"})  # a setting, never a host


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    clusters = _cluster_namespaces(env)
    for document in env.values:
        for path, host in _database_hosts(document.values):
            message = (
                _problem(clusters, path, host)
                if isinstance(host, str)
                else f"database host at {format_path(path)} is {describe(host)}, not a host name"
            )
            if message is not None:
                yield Hit(document.locate(path), message, document.app)


@functools.lru_cache(maxsize=4096)
def words(key: str) -> tuple[str, ...]:
    """The lower-case words of a key: camelCase, snake_case, kebab-case and dotted alike."""
    return tuple(word.lower() for word in _WORDS.findall(key))


def _database_hosts(values: Any, path: ValuePath = ()) -> Iterator[tuple[ValuePath, Any]]:
    """Every database host in a values tree, with its path; one host per string at most. A
    database host key's value that is not a string comes as it is, to be reported."""
    if values is not None and not isinstance(values, str) and _is_database_host_key(path):
        yield path, values
    elif isinstance(values, Mapping):
        for key, value in values.items():
            yield from _database_hosts(value, (*path, str(key)))
    elif isinstance(values, list):
        for index, value in enumerate(values):
            yield from _database_hosts(value, (*path, index))
    elif isinstance(values, str) and values:
        host = _host_in(values, path)
        if host is not None:
            yield path, host


def _host_in(value: str, path: ValuePath) -> str | None:
    if _is_database_host_key(path):
        host = _TRAILING_PORT.sub("", value.strip())
        return None if host.lower() in _FLAGS else host
    match = _SERVICE_HOST.search(value)
    return match.group() if match else None


@functools.lru_cache(maxsize=8192)  # the same paths come again in every environment
def _is_database_host_key(path: ValuePath) -> bool:
    if not path or not isinstance(path[-1], str):
        return False
    key = words(path[-1])
    if not key or key[-1] not in _HOST_WORDS:
        return False
    return any(_mentions_database(str(part)) for part in path)


def _mentions_database(part: str) -> bool:
    lowered = part.lower()
    return "postgres" in lowered or "database" in lowered or bool(_DATABASE_WORDS & {*words(part)})


def _cluster_namespaces(env: Environment) -> dict[str, str | None]:
    """Each cluster of the environment, sorted, with the namespace its service is in: the
    platform's database namespace, else the cluster's own; None when neither is known."""
    found: dict[str, str | None] = dict.fromkeys(env.rendered_databases, env.database_namespace)
    for db in env.databases:
        found[db.name] = env.database_namespace or db.namespace
    return dict(sorted(found.items()))


def _problem(clusters: Mapping[str, str | None], path: ValuePath, host: str) -> str | None:
    if any(_is_service_of(host, name, namespace) for name, namespace in clusters.items()):
        return None
    expected = {name: _service(name, namespace) for name, namespace in clusters.items()}
    where = f"database host {host!r} at {format_path(path)}"
    cluster = _cluster_named(host, list(clusters))
    if cluster is not None:
        return f"{where} is not the read-write service of {cluster!r}: use {expected[cluster]!r}"
    if not clusters:
        return f"{where} names no database cluster: none is rendered in this environment"
    wanted = " or ".join(repr(service) for service in expected.values())
    return f"{where} names no database cluster of this environment: use {wanted}"


def _is_service_of(host: str, cluster: str, namespace: str | None) -> bool:
    """Whether the host is the cluster's read-write service (in any namespace if unknown)."""
    name = host.lower().rstrip(".")
    if namespace is not None:
        return name == database_host(cluster, namespace)
    label, _, rest = name.partition(".")
    namespace_label, _, suffix = rest.partition(".")
    return label == f"{cluster}-rw" and bool(namespace_label) and suffix == "svc.cluster.local"


def _service(cluster: str, namespace: str | None) -> str:
    return database_host(cluster, namespace or "<namespace>")


def _cluster_named(host: str, clusters: Sequence[str]) -> str | None:
    """The cluster a host means by its first label (bare, or with a service suffix)."""
    label = host.lower().split(".", 1)[0]
    for name in clusters:
        if label == name or any(label == f"{name}{suffix}" for suffix in _SERVICE_SUFFIXES):
            return name
    return None
