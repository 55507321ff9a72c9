"""What objects need of others by name, and what provides objects of those kinds.

Both are read from each object as it is read (a manifest stream keeps no object), and resolved
over the whole environment by the reference rules: a pod's Secrets, ConfigMaps and
ServiceAccount, an Ingress's backend Services, each needed in the object's own namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from gitopsctl.paths import ValuePath, lookup
from gitopsctl.subjects.records import Environment, Locate, Provided, Reference

SECRET = "Secret"
CONFIG_MAP = "ConfigMap"
SERVICE = "Service"
SERVICE_ACCOUNT = "ServiceAccount"
DEFAULT_ACCOUNT = "default"  # every namespace has it
# The keys of the `<cluster>-app` and `<cluster>-superuser` secrets CloudNativePG (1.22 on)
# writes: pkg/specs/secrets.go, CreateSecret.
CNPG_SECRET_KEYS = frozenset(
    {
        "username",
        "user",
        "password",
        "dbname",
        "host",
        "port",
        "uri",
        "jdbc-uri",
        "fqdn-uri",
        "fqdn-jdbc-uri",
        "pgpass",
    }
)
# cert-manager writes the key pair, and the CA when it knows it.
TLS_KEYS = frozenset({"tls.crt", "tls.key", "ca.crt"})
# The token controller fills a `kubernetes.io/service-account-token` Secret with these.
TOKEN_KEYS = frozenset({"token", "ca.crt", "namespace"})
TOKEN_TYPE = "kubernetes.io/service-account-token"
ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
CONTAINER_GROUPS = ("initContainers", "containers")
# What a reference reads of the object it names, in messages.
PART = {SERVICE: "port"}


class Object(NamedTuple):
    """What the readers need of one object: its data, and how to name and locate it."""

    node: Mapping[str, Any]
    kind: str
    api_version: str
    namespace: str | None
    name: str
    user: str  # `kind/namespace/name`
    app: str | None
    locate: Locate


# -- what an object needs ------------------------------------------------------------------------


def pod_references(obj: Object, spec_path: ValuePath) -> Iterator[Reference]:
    """The Secrets, ConfigMaps and ServiceAccount a pod spec needs (optional ones are not)."""
    spec = lookup(obj.node, spec_path)[1]
    if not isinstance(spec, Mapping):
        return
    account_key = "serviceAccountName" if "serviceAccountName" in spec else "serviceAccount"
    account = spec.get(account_key)
    if isinstance(account, str) and account and account != DEFAULT_ACCOUNT:
        yield _reference(obj, SERVICE_ACCOUNT, account, None, (*spec_path, account_key))
    for index, item in _items(spec.get("imagePullSecrets")):
        yield from _named(obj, SECRET, item, None, (*spec_path, "imagePullSecrets", index))
    for index, volume in _items(spec.get("volumes")):
        yield from _volume(obj, volume, (*spec_path, "volumes", index))
    for group in CONTAINER_GROUPS:
        for index, container in _items(spec.get(group)):
            yield from _container(obj, container, (*spec_path, group, index))


def _items(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                yield index, item


def _reference(obj: Object, kind: str, name: str, key: str | None, path: ValuePath) -> Reference:
    return Reference(kind, obj.namespace, name, key, obj.user, obj.app, obj.locate, path)


def _named(
    obj: Object, kind: str, source: Any, key: str | None, path: ValuePath, name_key: str = "name"
) -> Iterator[Reference]:
    """A reference `{name, optional}` (or `{secretName}`), unless it is optional."""
    if not isinstance(source, Mapping) or source.get("optional") is True:
        return
    name = source.get(name_key)
    if isinstance(name, str) and name:
        yield _reference(obj, kind, name, key, (*path, name_key))


def _volume(obj: Object, volume: Mapping[str, Any], path: ValuePath) -> Iterator[Reference]:
    yield from _keyed(obj, SECRET, volume.get("secret"), (*path, "secret"), "secretName")
    yield from _keyed(obj, CONFIG_MAP, volume.get("configMap"), (*path, "configMap"))
    projected = volume.get("projected")
    sources = projected.get("sources") if isinstance(projected, Mapping) else None
    for index, source in _items(sources):
        where = (*path, "projected", "sources", index)
        yield from _keyed(obj, SECRET, source.get("secret"), (*where, "secret"))
        yield from _keyed(obj, CONFIG_MAP, source.get("configMap"), (*where, "configMap"))


def _keyed(
    obj: Object, kind: str, source: Any, path: ValuePath, name_key: str = "name"
) -> Iterator[Reference]:
    """A volume source: the object, and each key its `items` project (a missing key fails the
    pod unless the source is optional)."""
    if not isinstance(source, Mapping):
        return
    keys = [item.get("key") for _, item in _items(source.get("items"))]
    wanted: list[str | None] = [key for key in keys if isinstance(key, str)] or [None]
    for key in wanted:
        yield from _named(obj, kind, source, key, path, name_key)


def _container(obj: Object, container: Mapping[str, Any], path: ValuePath) -> Iterator[Reference]:
    for index, entry in _items(container.get("env")):
        value_from = entry.get("valueFrom")
        if not isinstance(value_from, Mapping):
            continue
        where = (*path, "env", index, "valueFrom")
        for kind, key in ((SECRET, "secretKeyRef"), (CONFIG_MAP, "configMapKeyRef")):
            selector = value_from.get(key)
            if isinstance(selector, Mapping):
                read = selector.get("key")
                read = read if isinstance(read, str) else None
                yield from _named(obj, kind, selector, read, (*where, key))
    for index, entry in _items(container.get("envFrom")):
        where = (*path, "envFrom", index)
        yield from _named(obj, SECRET, entry.get("secretRef"), None, (*where, "secretRef"))
        yield from _named(
            obj, CONFIG_MAP, entry.get("configMapRef"), None, (*where, "configMapRef")
        )


def ingress_references(obj: Object) -> Iterator[Reference]:
    """The Service (and port) of the Ingress's default backend and of each path's backend."""
    yield from _backend(
        obj, lookup(obj.node, ("spec", "defaultBackend"))[1], ("spec", "defaultBackend")
    )
    for index, rule in _items(lookup(obj.node, ("spec", "rules"))[1]):
        http = rule.get("http")
        paths = http.get("paths") if isinstance(http, Mapping) else None
        for number, entry in _items(paths):
            where = ("spec", "rules", index, "http", "paths", number, "backend")
            yield from _backend(obj, entry.get("backend"), where)


def _backend(obj: Object, backend: Any, path: ValuePath) -> Iterator[Reference]:
    service = backend.get("service") if isinstance(backend, Mapping) else None
    if not isinstance(service, Mapping):
        return
    port = service.get("port")
    key = None
    if isinstance(port, Mapping):
        number, name = port.get("number"), port.get("name")
        key = str(number) if isinstance(number, int) and not isinstance(number, bool) else None
        key = name if isinstance(name, str) and name else key
    yield from _named(obj, SERVICE, service, key, (*path, "service"))


# -- what an object provides ---------------------------------------------------------------------


def provided_by(obj: Object) -> Iterator[Provided]:
    """The Secrets, ConfigMaps, Services and ServiceAccounts an object is or makes exist."""
    group = obj.api_version.split("/", 1)[0] if "/" in obj.api_version else ""
    kind = obj.kind
    if group == "" and kind in (SECRET, CONFIG_MAP, SERVICE, SERVICE_ACCOUNT):
        yield _core_object(obj)
    elif kind == "ExternalSecret" and group == "external-secrets.io":
        yield from _external_secret(obj)
    elif kind == "SealedSecret" and group == "bitnami.com":
        yield from _sealed_secret(obj)
    elif kind == "Certificate" and group == "cert-manager.io":
        name = lookup(obj.node, ("spec", "secretName"))[1]
        if isinstance(name, str) and name:
            yield Provided(SECRET, obj.namespace, name, TLS_KEYS, f"Certificate {obj.name}")
    elif kind == "Ingress" and group == "networking.k8s.io":
        yield from _issued_tls(obj)
    elif kind == "Cluster" and group == "postgresql.cnpg.io":
        yield from cnpg_secrets(obj.name, obj.namespace, _superuser(obj.node))


def _core_object(obj: Object) -> Provided:
    node = obj.node
    keys: frozenset[str] | None
    if obj.kind == SECRET:
        keys = _keys(node.get("data"), node.get("stringData"))
        if node.get("type") == TOKEN_TYPE:
            keys |= TOKEN_KEYS
    elif obj.kind == CONFIG_MAP:
        keys = _keys(node.get("data"), node.get("binaryData"))
    elif obj.kind == SERVICE:
        keys = _ports(lookup(node, ("spec",))[1])
    else:
        keys = None
    return Provided(obj.kind, obj.namespace, obj.name, keys, f"{obj.kind} {obj.name}")


def _keys(*maps: Any) -> frozenset[str]:
    return frozenset(str(key) for found in maps if isinstance(found, Mapping) for key in found)


def _ports(spec: Any) -> frozenset[str] | None:
    """A Service's port numbers and names; None (any) for an ExternalName Service without."""
    if not isinstance(spec, Mapping):
        return frozenset()
    ports = [port for _, port in _items(spec.get("ports"))]
    if spec.get("type") == "ExternalName" and not ports:
        return None
    found = {str(port.get("port")) for port in ports if port.get("port") is not None}
    found |= {str(port["name"]) for port in ports if port.get("name")}
    return frozenset(found)


def _external_secret(obj: Object) -> Iterator[Provided]:
    """The target Secret: `spec.target.name`, else the ExternalSecret's name; its keys are
    `spec.data`'s and the template's, unknown when `dataFrom` or `templateFrom` adds more."""
    spec = _mapping(obj.node.get("spec"))
    target = _mapping(spec.get("target"))
    name = target.get("name") or obj.name
    template = _mapping(target.get("template"))
    keys: frozenset[str] | None = None
    if not spec.get("dataFrom") and not template.get("templateFrom"):
        data = [item.get("secretKey") for _, item in _items(spec.get("data"))]
        keys = frozenset(str(key) for key in data if key) | _keys(template.get("data"))
    yield Provided(SECRET, obj.namespace, str(name), keys, f"ExternalSecret {obj.name}")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sealed_secret(obj: Object) -> Iterator[Provided]:
    template = _mapping(lookup(obj.node, ("spec", "template"))[1])
    metadata = _mapping(template.get("metadata"))
    name = metadata.get("name") or obj.name
    namespace = metadata.get("namespace") or obj.namespace
    keys = _keys(lookup(obj.node, ("spec", "encryptedData"))[1], template.get("data"))
    yield Provided(SECRET, namespace, str(name), keys, f"SealedSecret {obj.name}")


def _issued_tls(obj: Object) -> Iterator[Provided]:
    """The TLS Secrets cert-manager's ingress-shim issues for an annotated Ingress."""
    annotations = lookup(obj.node, ("metadata", "annotations"))[1]
    if not isinstance(annotations, Mapping) or not any(
        a in annotations for a in ISSUER_ANNOTATIONS
    ):
        return
    for _, entry in _items(lookup(obj.node, ("spec", "tls"))[1]):
        name = entry.get("secretName")
        if isinstance(name, str) and name:
            yield Provided(
                SECRET, obj.namespace, name, TLS_KEYS, f"cert-manager for Ingress {obj.name}"
            )


def _superuser(node: Mapping[str, Any]) -> bool:
    return lookup(node, ("spec", "enableSuperuserAccess"))[1] is True


def cnpg_secrets(cluster: str, namespace: str | None, superuser: bool) -> Iterator[Provided]:
    """The credentials a CloudNativePG Cluster writes into its namespace: `<name>-app`, and
    `<name>-superuser` when superuser access is enabled."""
    provider = f"CloudNativePG Cluster {cluster}"
    yield Provided(SECRET, namespace, f"{cluster}-app", CNPG_SECRET_KEYS, provider)
    if superuser:
        yield Provided(SECRET, namespace, f"{cluster}-superuser", CNPG_SECRET_KEYS, provider)


# -- resolving -----------------------------------------------------------------------------------


class Unresolved(NamedTuple):
    """A reference and what is wrong with it; ``excepted`` when only a Secret declared provided
    outside the repository (with its reason) provides it."""

    reference: Reference
    message: str
    excepted: bool = False


def unresolved(env: Environment, kind: str) -> Iterator[Unresolved]:
    """Each reference of a kind that nothing provides in its namespace (with a complete
    environment), or that reads a key or port its provider does not have, and why; and, as
    excepted, each that only a declaration of a Secret made outside the repository provides."""
    here: dict[tuple[str | None, str], list[Provided]] = {}
    named: dict[str, list[Provided]] = {}
    for provided in _providers(env, kind):
        here.setdefault((provided.namespace, provided.name), []).append(provided)
        named.setdefault(provided.name, []).append(provided)
    reported: set[tuple[Any, ...]] = set()
    for reference in env.references:
        if reference.kind != kind:
            continue
        found = here.get((reference.namespace, reference.name))
        excepted = False
        if found:
            problem = _missing_key(reference, found)
            if problem is None and all(p.reason is not None for p in found):
                problem, excepted = _out_of_band(reference, found), True
        elif env.references_complete:
            problem = _not_provided(reference, named.get(reference.name, []))
        else:
            problem = None
        if problem is None:
            continue
        # A value the sources set is one reference, rendered or not: reported once at its line
        # (located only now: a position in a manifest stream is composed again when asked for).
        seen = (reference.namespace, reference.name, reference.location)
        if seen not in reported:
            reported.add(seen)
            yield Unresolved(reference, problem, excepted)


def _providers(env: Environment, kind: str) -> Iterator[Provided]:
    yield from (provided for provided in env.provided if provided.kind == kind)
    if kind == SECRET:
        for secret in env.provided_secrets:
            yield Provided(
                SECRET, secret.namespace, secret.name, secret.keys, secret.provider, secret.reason
            )


def _in(namespace: str | None) -> str:
    return f"namespace {namespace}" if namespace else "its namespace"


def _not_provided(reference: Reference, elsewhere: Iterable[Provided]) -> str:
    where = _in(reference.namespace)
    what = f"{reference.user}: {reference.kind} {reference.name} is not provided in {where}"
    others = sorted(elsewhere, key=lambda p: (p.namespace or "", p.provider))
    if others:
        other = others[0]
        return (
            f"{what} (provided in {_in(other.namespace)} by {other.provider}, "
            f"not in {reference.namespace or 'its namespace'})"
        )
    if reference.kind == SECRET:
        return (
            f"{what}: nothing in the environment provides a Secret of that name (declare it "
            "under providedSecrets if it is created outside the repository)"
        )
    return f"{what}: nothing in the environment provides a {reference.kind} of that name"


def _out_of_band(reference: Reference, found: list[Provided]) -> str:
    reasons = "; ".join(f"{p.provider}: {p.reason}" for p in found)
    return (
        f"{reference.user}: {reference.kind} {reference.name} in {_in(reference.namespace)} is "
        f"provided outside the repository ({reasons})"
    )


def _missing_key(reference: Reference, found: list[Provided]) -> str | None:
    if reference.key is None or any(p.keys is None or reference.key in p.keys for p in found):
        return None
    part = PART.get(reference.kind, "key")
    holders = "; ".join(
        f"{p.provider} provides {', '.join(sorted(p.keys or ())) or 'none'}" for p in found
    )
    return (
        f"{reference.user}: {reference.kind} {reference.name} in {_in(reference.namespace)} "
        f"has no {part} {reference.key} ({holders})"
    )
