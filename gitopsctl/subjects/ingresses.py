"""Reading an Ingress's class, annotations, hosts and TLS, out of chart values or an Ingress object.

A value of the wrong type (a number for a host, a string for the TLS list) is kept as a
`Malformed` record for the rule that reads that part, never dropped: a host the rules cannot see
would pass every check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.paths import ValuePath, describe, format_path
from gitopsctl.subjects.records import Malformed, RouteClaim, TlsEntry

Found = list[Malformed]


def _wrong(found: Found, field: str, path: ValuePath, value: Any, wanted: str) -> None:
    found.append(Malformed(field, path, f"{format_path(path)} is {describe(value)}, not {wanted}"))


def enabled(value: Any, path: ValuePath, found: Found) -> bool:
    """Whether a chart's `enabled` turns the Ingress on, as Helm's `if` reads it: a non-boolean
    (the string "false") is reported, and checked as the Ingress it turns on when truthy."""
    if isinstance(value, bool) or value is None:
        return value is True
    _wrong(found, "enabled", path, value, "true or false (Helm's `if` reads it by truthiness)")
    return bool(value)


def class_name(value: Any, path: ValuePath, found: Found) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    _wrong(found, "class", path, value, "a string")
    return None


def annotation_map(value: Any, path: ValuePath, found: Found) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        _wrong(found, "annotations", path, value, "a mapping")
        return {}
    return {str(key): str(text) for key, text in value.items()}


def hostname(value: Any, path: ValuePath, found: Found) -> Iterator[tuple[str, ValuePath]]:
    """One host, as `hostname:` or an item's `host:`; absent is no host."""
    if isinstance(value, str):
        yield value, path
    elif value is not None:
        _wrong(found, "hosts", path, value, "a host name string")


def host_list(value: Any, path: ValuePath, found: Found) -> Iterator[tuple[str, ValuePath]]:
    """`hosts:` as a list of names, or of mappings with a `host` (an Ingress's `rules`)."""
    if value is None:
        return
    if not isinstance(value, list):
        _wrong(found, "hosts", path, value, "a list")
        return
    for index, item in enumerate(value):
        where = (*path, index)
        if isinstance(item, str):
            yield item, where
        elif isinstance(item, Mapping):
            yield from hostname(item.get("host"), (*where, "host"), found)
        else:
            _wrong(found, "hosts", where, item, "a host name or a mapping with a host")


def rule_hosts(value: Any, path: ValuePath, found: Found) -> Iterator[tuple[str, ValuePath]]:
    """An Ingress's `spec.rules`: a list of mappings, each with an optional `host`."""
    if value is None:
        return
    if not isinstance(value, list):
        _wrong(found, "hosts", path, value, "a list of rules")
        return
    for index, rule in enumerate(value):
        if isinstance(rule, Mapping):
            yield from hostname(rule.get("host"), (*path, index, "host"), found)
        else:
            _wrong(found, "hosts", (*path, index), rule, "a mapping (a rule with a host)")


def rule_routes(value: Any, path: ValuePath) -> Iterator[RouteClaim]:
    """The routes of an Ingress's `spec.rules`: each `http.paths` entry of a rule with a host, or
    every path of the host when the rule lists none. Wrong types are `rule_hosts`' to report
    (and the schema's): an entry that cannot be read claims every path, so it still conflicts."""
    if not isinstance(value, list):
        return
    for index, rule in enumerate(value):
        host = rule.get("host") if isinstance(rule, Mapping) else None
        if isinstance(host, str) and host:
            where = (*path, index)
            routes = list(_http_routes(host, rule.get("http"), (*where, "http", "paths")))
            yield from routes or [RouteClaim(host, None, "", (*where, "host"))]


def _http_routes(host: str, http: Any, path: ValuePath) -> Iterator[RouteClaim]:
    entries = http.get("paths") if isinstance(http, Mapping) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        route = entry.get("path") if isinstance(entry, Mapping) else None
        kind = entry.get("pathType") if isinstance(entry, Mapping) else None
        # No path (ImplementationSpecific allows it) routes everything, as most controllers read it.
        if isinstance(route, str) and route and isinstance(kind, str):
            yield RouteClaim(host, route, kind, (*path, index, "path"))
        else:
            yield RouteClaim(host, None, "", (*path, index))


def tls_flag(value: Any, path: ValuePath, found: Found) -> bool:
    """A chart's `tls: true`."""
    if isinstance(value, bool) or value is None:
        return value is True
    _wrong(found, "tls", path, value, "true or false")
    return bool(value)


def tls_list(value: Any, path: ValuePath, found: Found) -> Iterator[TlsEntry]:
    """`tls: [{secretName, hosts}]`, in chart values and in an Ingress's spec alike."""
    if value is None:
        return
    if not isinstance(value, list):
        _wrong(found, "tls", path, value, "a list of {hosts, secretName}")
        return
    for index, item in enumerate(value):
        where = (*path, index)
        if isinstance(item, Mapping):
            yield _tls_entry(item, where, found)
        else:
            _wrong(found, "tls", where, item, "a mapping of hosts and secretName")


def _tls_entry(item: Mapping[str, Any], path: ValuePath, found: Found) -> TlsEntry:
    hosts = list(_tls_hosts(item.get("hosts"), (*path, "hosts"), found))
    secret = item.get("secretName")
    if secret is not None and not isinstance(secret, str):
        _wrong(found, "tls", (*path, "secretName"), secret, "a string")
        secret = str(secret)  # reported above; not a second finding for a missing secretName
    return TlsEntry(
        tuple(host for host, _ in hosts), secret, path, tuple(where for _, where in hosts)
    )


def _tls_hosts(value: Any, path: ValuePath, found: Found) -> Iterator[tuple[str, ValuePath]]:
    if value is None:
        return
    if not isinstance(value, list):
        _wrong(found, "tls", path, value, "a list of host names")
        return
    for index, host in enumerate(value):
        if isinstance(host, str):
            yield host, (*path, index)
        else:
            _wrong(found, "tls", (*path, index), host, "a host name string")
