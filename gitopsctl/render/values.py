"""The layered chart values of one app or database in one environment.

Layers, lowest first: chart profile defaults < platform settings the renderer injects (node
placement, ingress class, issuer annotation, hosts, TLS) < app values < environment overrides.
An upstream chart's version layers the same way: the app's, unless the environment sets one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.kube.scheduling import Taint
from gitopsctl.sources.layering import Origin, Tracked, from_node
from gitopsctl.sources.model import (
    EVERY_NODE,
    AppDef,
    ChartRef,
    DatabaseDef,
    EnvironmentDef,
    IngressSpot,
    Model,
    Profile,
    RemoteRef,
    SecretDef,
    SecretStoreSettings,
    WorkloadSpot,
    origin_of,
)

LAYER_PROFILE = "profile defaults"
LAYER_PLACEMENT = "placement"
LAYER_INGRESS = "ingress"
LAYER_APP = "app values"
LAYER_ENVIRONMENT = "environment override"
LAYER_CHART = "app chart"
LAYER_SECRETS = "secrets"
SECRET_STORE_KIND = "ClusterSecretStore"
# CloudNativePG reads an owner's credentials from a Secret of this type with these two keys.
CREDENTIALS_TYPE = "kubernetes.io/basic-auth"
USERNAME_KEY = "username"
PASSWORD_KEY = "password"
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def app_values(model: Model, env: EnvironmentDef, app: AppDef, hosts: Mapping[str, str]) -> Tracked:
    """Layered values before interpolation; ``hosts`` are the app's ingress hosts, resolved."""
    profile = model.profiles.get(app.profile)
    values = _profile_defaults(profile)
    if profile is not None:
        _inject_placement(values, model, app, profile)
        _inject_ingresses(values, model, env, app, profile, hosts)
    if "values" in app.source.node:
        values.merge(from_node(app.source.node["values"], app.source.name, LAYER_APP))
    override = env.override(app.name)
    if "values" in override:
        values.merge(from_node(override["values"], env.source.name, LAYER_ENVIRONMENT))
    return values


def app_chart(env: EnvironmentDef, app: AppDef) -> tuple[ChartRef, Origin | None]:
    """The app's chart in an environment, and where its version is set (None for a chart owned
    here, which has no version)."""
    if app.chart.local:
        return app.chart, None
    override = env.override(app.name).get("chart") or {}
    if "version" in override:
        path = ("apps", app.name, "chart", "version")
        chart = app.chart._replace(version=override["version"])
        return chart, origin_of(env.source, path, LAYER_ENVIRONMENT)
    return app.chart, origin_of(app.source, ("chart", "version"), LAYER_CHART)


def database_values(model: Model, env: EnvironmentDef, app: AppDef, db: DatabaseDef) -> Tracked:
    platform = model.platform
    profile = model.profiles.get(platform.database_chart.split("/")[-1])
    values = _profile_defaults(profile)
    if profile is not None:
        placement = origin_of(platform.source, ("databases", "nodeGroup"), LAYER_PLACEMENT)
        for spot in profile.workloads.values():
            if not spot.named_only:
                _place(values, model, spot, platform.database_node_group, placement)
    _set_field(values, db, "database", db.database)
    _set_field(values, db, "owner", db.owner)
    _set_field(values, db, "instances", db.instances)
    _set_field(values, db, "storage", {"size": db.storage})
    values.merge(database_credentials(model, env, db))
    if db.values_node is not None:
        values.merge(from_node(db.values_node, db.source.name, LAYER_APP))
    _database_override(values, env, app, db)
    return values


def database_credentials(model: Model, env: EnvironmentDef, db: DatabaseDef) -> Tracked:
    """What the database chart needs to deliver the owner's credentials from the secret store
    into the database namespace: the Secret its Cluster bootstraps from and manages the role by."""
    settings = model.platform.secrets
    values = Tracked()
    if settings is None:
        return values
    origin = origin_of(db.source, db.path, LAYER_SECRETS)
    credentials = {
        "secretName": credentials_secret(db.name),
        "remoteKey": database_remote_key(env.name, db.name),
        **_store_fields(settings),
    }
    values.set(("credentials",), credentials, origin)
    return values


def credentials_secret(database: str) -> str:
    """The Secret that holds a database owner's credentials, in the database namespace and in
    the namespace of the app that declares the database."""
    return f"{database}-credentials"


def database_remote_key(env: str, database: str) -> str:
    """Where the secret store keeps a database owner's credentials, as JSON with the properties
    `username` and `password`."""
    return f"{env}/databases/{database}"


def secrets_values(model: Model, env: EnvironmentDef, app: AppDef) -> Tracked:
    """The ExternalSecrets of an app's namespace: the Secrets the app declares and the
    credentials of each database it declares."""
    settings = model.platform.secrets
    values = Tracked()
    if settings is None:
        return values
    source = model.platform.source
    for (key, value), setting in zip(_store_fields(settings).items(), STORE_SETTINGS, strict=True):
        values.set((key,), value, origin_of(source, ("secrets", setting), LAYER_SECRETS))
    for secret in app.secrets.values():
        _set_declared_secret(values, secret)
    for db in app.databases.values():
        remote = database_remote_key(env.name, db.name)
        data = {key: _remote(RemoteRef(remote, key)) for key in CREDENTIAL_KEYS}
        delivered = {"type": CREDENTIALS_TYPE, "data": data}
        path = ("externalSecrets", credentials_secret(db.name))
        values.set(path, delivered, origin_of(db.source, db.path, LAYER_SECRETS))
    return values


CREDENTIAL_KEYS = (USERNAME_KEY, PASSWORD_KEY)
STORE_SETTINGS = ("store", "refreshInterval")  # where platform.yaml sets each of _store_fields


def _set_declared_secret(values: Tracked, secret: SecretDef) -> None:
    """One declared Secret: the Secret at its name's line, each key's reference at the key's."""
    declared = origin_of(secret.source, secret.path, LAYER_SECRETS)
    values.set(("externalSecrets", secret.name), {}, declared)
    for key, ref in secret.keys.items():
        origin = origin_of(secret.source, (*secret.path, "keys", key), LAYER_SECRETS)
        values.set(("externalSecrets", secret.name, "data", key), _remote(ref), origin)


def _remote(ref: RemoteRef) -> dict[str, str]:
    """An ExternalSecret's `remoteRef`: the key, and the property only when one is read."""
    found = {"key": ref.key}
    if ref.property is not None:
        found["property"] = ref.property
    return found


def _store_fields(settings: SecretStoreSettings) -> dict[str, Any]:
    return {
        "secretStore": {"kind": SECRET_STORE_KIND, "name": settings.store},
        "refreshInterval": settings.refresh_interval,
    }


def _database_override(values: Tracked, env: EnvironmentDef, app: AppDef, db: DatabaseDef) -> None:
    override = env.override(app.name).get("databases", {}).get(db.name)
    if not override:
        return
    base = ("apps", app.name, "databases", db.name)
    for key, value in (("instances", override.get("instances")),):
        if value is not None:
            values.set((key,), value, origin_of(env.source, (*base, key), LAYER_ENVIRONMENT))
    if "storage" in override:
        origin = origin_of(env.source, (*base, "storage"), LAYER_ENVIRONMENT)
        values.set(("storage", "size"), override["storage"], origin)
    if "values" in override:
        values.merge(from_node(override["values"], env.source.name, LAYER_ENVIRONMENT))


def _set_field(values: Tracked, db: DatabaseDef, key: str, value: Any) -> None:
    """A database field; a default the source leaves out points at the database's own line."""
    values.set((key,), value, origin_of(db.source, (*db.path, key), LAYER_APP))


def _profile_defaults(profile: Profile | None) -> Tracked:
    if profile is None or "defaults" not in profile.source.node:
        return Tracked()
    return from_node(profile.source.node["defaults"], profile.source.name, LAYER_PROFILE)


def _inject_placement(values: Tracked, model: Model, app: AppDef, profile: Profile) -> None:
    for spot in profile.workloads.values():
        if spot.named_only:
            continue  # it takes another workload's placement
        group, origin = _group_for(app, spot)
        if group is not None:
            _place(values, model, spot, group, origin)


def _group_for(app: AppDef, spot: WorkloadSpot) -> tuple[str | None, Origin]:
    if spot.name in app.workload_groups:
        path: tuple[str, ...] = ("placement", "workloads", spot.name)
        return app.workload_groups[spot.name], origin_of(app.source, path, LAYER_PLACEMENT)
    if spot.kind == "DaemonSet":
        return EVERY_NODE, origin_of(app.source, ("chart",), LAYER_PLACEMENT)
    origin = origin_of(app.source, ("placement", "nodeGroup"), LAYER_PLACEMENT)
    return app.node_group, origin


def _place(values: Tracked, model: Model, spot: WorkloadSpot, group: str, origin: Origin) -> None:
    if group == EVERY_NODE:
        selector: dict[str, str] = {}
        taints = model.platform.taints()
    else:
        node_group = model.platform.node_groups[group]
        selector, taints = dict(node_group.labels), list(node_group.taints)
    if selector:
        values.set((*spot.path, "nodeSelector"), selector, origin)
    tolerations = list(_tolerations(taints))
    if tolerations:
        values.set((*spot.path, "tolerations"), tolerations, origin)


def _tolerations(taints: list[Taint]) -> Iterator[dict[str, str]]:
    for taint in taints:
        if taint.effect in BLOCKING_EFFECTS:
            yield {
                "key": taint.key,
                "operator": "Equal",
                "value": taint.value,
                "effect": taint.effect,
            }


def _inject_ingresses(
    values: Tracked,
    model: Model,
    env: EnvironmentDef,
    app: AppDef,
    profile: Profile,
    hosts: Mapping[str, str],
) -> None:
    for name, host in hosts.items():
        spot = profile.ingresses[name]
        origin = origin_of(app.source, ("ingresses", name, "host"), LAYER_INGRESS)
        for key, value in _ingress_fields(spot, model, env, host):
            values.set((*spot.path, *key), value, origin)


def _ingress_fields(
    spot: IngressSpot, model: Model, env: EnvironmentDef, host: str
) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield ("enabled",), True
    yield ("ingressClassName",), model.platform.ingress_class
    yield ("annotations", "cert-manager.io/cluster-issuer"), env.issuer
    if spot.hosts == "hostname":
        yield ("hostname",), host
    elif spot.hosts == "hosts":
        yield ("hosts",), [host]
    elif spot.hosts == "rules":
        yield ("rules",), [{"host": host, "paths": [{"path": "/", "pathType": "Prefix"}]}]
    else:
        yield ("hosts",), [{"host": host, "paths": [{"path": "/"}]}]
    if spot.tls == "flag":
        yield ("tls",), True
    else:
        yield ("tls",), [{"secretName": tls_secret_name(host), "hosts": [host]}]


def tls_secret_name(host: str) -> str:
    """The TLS secret cert-manager fills for a host."""
    return host.replace(".", "-") + "-tls"
