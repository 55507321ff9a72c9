"""The sources as typed definitions, with the cross-references between files checked."""

from __future__ import annotations

import graphlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.kube.scheduling import NodeGroup, Taint, normalize_effect
from gitopsctl.paths import ValuePath
from gitopsctl.sources.files import SourceFile, SourceFiles
from gitopsctl.sources.layering import Origin
from gitopsctl.yaml import reader
from gitopsctl.yaml.reader import PosMap

EVERY_NODE = "*"
DEFAULT_REFRESH_INTERVAL = "1h"


def origin_of(source: SourceFile, path: ValuePath, layer: str) -> Origin:
    """The position of the key or item at ``path`` in a source file (its parent's when absent)."""
    line, column = reader.deepest_position(source.node, path)
    return Origin(source.name, line, column, layer)


class SecretStoreSettings(NamedTuple):
    """Where declared Secrets come from: ExternalSecrets reading one ClusterSecretStore, which the
    app ``provider`` renders; ``chart`` renders an app's ExternalSecrets into its namespace."""

    store: str
    chart: str
    provider: str
    refresh_interval: str


class Platform(NamedTuple):
    source: SourceFile
    argocd_namespace: str
    argocd_project: str
    repo_url: str
    revision: str
    kubernetes_version: str
    node_groups: dict[str, NodeGroup]
    ingress_class: str
    ingress_provider: str
    database_namespace: str
    database_node_group: str
    database_chart: str
    database_provider: str
    promotion: tuple[str, ...] = ()  # the environments changes flow through, in order
    region: str | None = None
    secrets: SecretStoreSettings | None = None  # None: apps cannot declare secrets
    # API groups every cluster serves before Argo CD syncs anything: (group, reason).
    preinstalled_apis: tuple[tuple[str, str], ...] = ()

    def taints(self) -> list[Taint]:
        """Every taint of every node group, once, in declaration order."""
        seen: dict[Taint, None] = {}
        for group in self.node_groups.values():
            seen.update(dict.fromkeys(group.taints))
        return list(seen)


class ChartRef(NamedTuple):
    repo: str | None
    name: str
    version: str | None
    path: str | None

    @property
    def local(self) -> bool:
        return self.path is not None


class DatabaseDef(NamedTuple):
    name: str
    database: str
    owner: str
    instances: int
    storage: str
    source: SourceFile
    path: ValuePath

    @property
    def values_node(self) -> Any:
        return self.source.node["databases"][self.name].get("values")


class RemoteRef(NamedTuple):
    """One key of a Secret: a remote key of the secret store, and one property of its JSON."""

    key: str
    property: str | None


class SecretDef(NamedTuple):
    """A Secret an app declares under `secrets:`, delivered into the app's namespace."""

    name: str
    keys: dict[str, RemoteRef]
    source: SourceFile
    path: ValuePath


class DeclaredSecret(NamedTuple):
    """A Secret an app's pods get from outside the repository, and why (`providedSecrets`)."""

    name: str
    namespace: str
    keys: frozenset[str] | None
    reason: str
    path: ValuePath  # where it is declared in the app's file


class AppDef(NamedTuple):
    name: str
    source: SourceFile
    chart: ChartRef
    profile: str
    namespace: str
    sync_wave: int | None
    depends_on: tuple[str, ...]
    provides_apis: tuple[str, ...]
    uses_apis: tuple[str, ...]
    node_group: str | None
    workload_groups: dict[str, str]
    ingresses: dict[str, str]
    databases: dict[str, DatabaseDef]
    promote: tuple[ValuePath, ...] = ()  # the values a promotion carries with the chart version
    secrets: Mapping[str, SecretDef] = {}
    provided_secrets: tuple[DeclaredSecret, ...] = ()


class EnvironmentDef(NamedTuple):
    name: str
    source: SourceFile
    cluster_server: str | None
    cluster_name: str | None
    domain: str
    issuer: str
    tier: str
    apps: tuple[str, ...]

    def override(self, app: str) -> Mapping[str, Any]:
        found = self.source.node["apps"].get(app)
        return found if isinstance(found, Mapping) else {}


class WorkloadSpot(NamedTuple):
    """Where a chart keeps one workload's pod placement."""

    name: str
    path: tuple[str, ...]
    kind: str
    replicas: tuple[str, ...] | None
    topology_spread: tuple[str, ...] | None
    singleton: bool = False
    rendered: str | None = None  # a glob of the name of the object the chart renders for it
    resources: tuple[str, ...] | None = None  # its containers' requests and limits
    # Known only by the name of the object the chart renders (no `path`): it takes another
    # workload's placement, and only `validate --helm` sees it.
    named_only: bool = False


class IngressSpot(NamedTuple):
    """Where a chart keeps one ingress, and how it spells hosts and TLS."""

    name: str
    path: tuple[str, ...]
    hosts: str
    tls: str


class ValueReference(NamedTuple):
    """A value that names an existing object the chart's pods read, and the key they read: at
    `key` in the values, else `key_default`; `*` in a path stands for every key or item."""

    name: tuple[str, ...]
    key: tuple[str, ...] | None
    key_default: str | None


class Created(NamedTuple):
    """An object the chart's own jobs or controllers create; `{release}` is the release name."""

    kind: str
    name: str
    keys: frozenset[str] | None


class Profile(NamedTuple):
    name: str
    source: SourceFile
    workloads: dict[str, WorkloadSpot]
    ingresses: dict[str, IngressSpot]
    secret_refs: tuple[ValueReference, ...] = ()
    config_map_refs: tuple[ValueReference, ...] = ()
    creates: tuple[Created, ...] = ()


class Model(NamedTuple):
    platform: Platform
    environments: dict[str, EnvironmentDef]
    apps: dict[str, AppDef]
    profiles: dict[str, Profile]


def split_path(text: str) -> tuple[str, ...]:
    return tuple(text.split(".")) if text else ()


def build_model(files: SourceFiles) -> Model:
    """Typed definitions from schema-valid sources; broken cross-references raise InputError."""
    model = Model(
        platform=platform_of(files.platform, files.terraform_node_groups),
        environments={name: _environment(name, src) for name, src in files.environments.items()},
        apps={name: _app(name, src) for name, src in files.apps.items()},
        profiles={name: _profile(name, src) for name, src in files.profiles.items()},
    )
    problems = list(_reference_problems(model))
    if problems:
        raise InputError(problems)
    return model


def platform_of(
    source: SourceFile, terraform_groups: Sequence[NodeGroup] | None = None
) -> Platform:
    """The platform's settings; its node groups are ``terraform_groups`` when the file points at
    a Terraform folder (`nodeGroups: {terraform: DIR}`), else the ones it lists."""
    node = source.node
    declared = node["nodeGroups"]
    groups = (
        list(terraform_groups or ())
        if isinstance(declared, Mapping)
        else [node_group(group) for group in declared]
    )
    return Platform(
        source=source,
        argocd_namespace=node["argocd"]["namespace"],
        argocd_project=node["argocd"]["project"],
        repo_url=node["repository"]["url"],
        revision=node["repository"]["revision"],
        kubernetes_version=node["kubernetesVersion"],
        node_groups={group.name: group for group in groups},
        ingress_class=node["ingress"]["className"],
        ingress_provider=node["ingress"]["providedBy"],
        database_namespace=node["databases"]["namespace"],
        database_node_group=node["databases"]["nodeGroup"],
        database_chart=node["databases"]["chart"],
        database_provider=node["databases"]["providedBy"],
        promotion=tuple(node.get("promotion", ())),
        region=node.get("region"),
        secrets=_secret_store(node.get("secrets")),
        preinstalled_apis=tuple(
            (str(item["group"]), str(item["reason"])) for item in node.get("preinstalledApis", ())
        ),
    )


def _secret_store(node: Mapping[str, Any] | None) -> SecretStoreSettings | None:
    if node is None:
        return None
    return SecretStoreSettings(
        store=node["store"],
        chart=node["chart"],
        provider=node["providedBy"],
        refresh_interval=node.get("refreshInterval", DEFAULT_REFRESH_INTERVAL),
    )


def node_group(node: Mapping[str, Any]) -> NodeGroup:
    taints = tuple(
        Taint(str(t["key"]), str(t.get("value", "")), normalize_effect(str(t["effect"])))
        for t in node.get("taints", [])
    )
    optional: dict[str, Any] = {}
    if node.get("zones"):
        optional["zones"] = tuple(node["zones"])
    if node.get("arch"):
        optional["arch"] = node["arch"]
    if node.get("capacityType"):
        optional["capacity_type"] = node["capacityType"]
    return NodeGroup(
        name=node["name"],
        labels={str(k): str(v) for k, v in node.get("labels", {}).items()},
        taints=taints,
        instance_types=tuple(node.get("instanceTypes", ())),
        min_size=node.get("minSize"),
        max_size=node.get("maxSize"),
        desired_size=node.get("desiredSize"),
        **optional,
    )


def node_group_data(group: NodeGroup) -> dict[str, Any]:
    """A node group in the `--node-groups` file format (the inverse of `node_group`); zones
    the nodes carry but no file names (Terraform's subnets) are left out."""
    data: dict[str, Any] = {"name": group.name, "labels": dict(sorted(group.labels.items()))}
    data["taints"] = [
        {"key": taint.key, "value": taint.value, "effect": taint.effect} for taint in group.taints
    ]
    data["instanceTypes"] = list(group.instance_types)
    if group.zones:
        data["zones"] = list(group.zones)
    if group.arch is not None:
        data["arch"] = group.arch
    if group.capacity_type is not None:
        data["capacityType"] = group.capacity_type
    sizes = {
        "minSize": group.min_size,
        "maxSize": group.max_size,
        "desiredSize": group.desired_size,
    }
    data.update({key: size for key, size in sizes.items() if size is not None})
    return data


def _environment(name: str, source: SourceFile) -> EnvironmentDef:
    node = source.node
    return EnvironmentDef(
        name=name,
        source=source,
        cluster_server=node["cluster"].get("server"),
        cluster_name=node["cluster"].get("name"),
        domain=node["domain"],
        issuer=node["issuer"],
        tier=node["tier"],
        apps=tuple(node["apps"]),
    )


def _app(name: str, source: SourceFile) -> AppDef:
    node = source.node
    chart = node["chart"]
    chart_ref = ChartRef(chart.get("repo"), chart.get("name", ""), chart.get("version"), None)
    if "path" in chart:
        chart_ref = ChartRef(None, chart["path"].split("/")[-1], None, chart["path"])
    placement = node.get("placement", {})
    apis = node.get("apis", {})
    return AppDef(
        name=name,
        source=source,
        chart=chart_ref,
        profile=node.get("profile", chart_ref.name),
        namespace=node["namespace"],
        sync_wave=node.get("syncWave"),
        depends_on=tuple(node.get("dependsOn", ())),
        provides_apis=tuple(apis.get("provides", ())),
        uses_apis=tuple(apis.get("uses", ())),
        node_group=placement.get("nodeGroup"),
        workload_groups=dict(placement.get("workloads", {})),
        ingresses={key: value["host"] for key, value in node.get("ingresses", {}).items()},
        databases={
            key: _database(key, value, source) for key, value in node.get("databases", {}).items()
        },
        promote=tuple(split_path(path) for path in node.get("promote", ())),
        secrets={
            key: _secret(key, value, source) for key, value in node.get("secrets", {}).items()
        },
        provided_secrets=tuple(
            _declared_secret(item, node["namespace"], index)
            for index, item in enumerate(node.get("providedSecrets", ()))
        ),
    )


def _declared_secret(item: Mapping[str, Any], namespace: str, index: int) -> DeclaredSecret:
    keys = item.get("keys")
    return DeclaredSecret(
        name=item["name"],
        namespace=item.get("namespace", namespace),
        keys=frozenset(keys) if keys is not None else None,
        reason=item["reason"],
        path=("providedSecrets", index),
    )


def _secret(name: str, node: PosMap, source: SourceFile) -> SecretDef:
    keys = {
        str(key): RemoteRef(ref, None)
        if isinstance(ref, str)
        else RemoteRef(ref["key"], ref.get("property"))
        for key, ref in node["keys"].items()
    }
    return SecretDef(name, keys, source, ("secrets", name))


def _database(name: str, node: PosMap, source: SourceFile) -> DatabaseDef:
    return DatabaseDef(
        name=name,
        database=node["database"],
        owner=node["owner"],
        instances=node.get("instances", 1),
        storage=node.get("storage", "10Gi"),
        source=source,
        path=("databases", name),
    )


def _profile(name: str, source: SourceFile) -> Profile:
    node = source.node
    workloads = {
        key: WorkloadSpot(
            key,
            split_path(spot.get("path", "")),
            spot["kind"],
            split_path(spot["replicas"]) if "replicas" in spot else None,
            split_path(spot["topologySpread"]) if "topologySpread" in spot else None,
            bool(spot.get("singleton", False)),
            spot.get("rendered"),
            split_path(spot["resources"])
            if "resources" in spot
            else (*split_path(spot.get("path", "")), "resources"),
            "path" not in spot,
        )
        for key, spot in node.get("workloads", {}).items()
    }
    ingresses = {
        key: IngressSpot(key, split_path(spot["path"]), spot["hosts"], spot["tls"])
        for key, spot in node.get("ingresses", {}).items()
    }
    return Profile(
        name,
        source,
        workloads,
        ingresses,
        tuple(_value_reference(item) for item in node.get("secretRefs", ())),
        tuple(_value_reference(item) for item in node.get("configMapRefs", ())),
        tuple(_created(node.get("creates", {}))),
    )


def _value_reference(item: Mapping[str, Any]) -> ValueReference:
    key = item.get("key")
    return ValueReference(
        split_path(item["name"]), split_path(key) if key else None, item.get("keyDefault")
    )


CREATED_KINDS = {
    "secrets": "Secret",
    "configMaps": "ConfigMap",
    "serviceAccounts": "ServiceAccount",
}


def _created(creates: Mapping[str, Any]) -> Iterator[Created]:
    for group, kind in CREATED_KINDS.items():
        for item in creates.get(group, ()):
            keys = item.get("keys")
            yield Created(kind, item["name"], frozenset(keys) if keys is not None else None)


def _reference_problems(model: Model) -> Iterator[Problem]:
    yield from _platform_problems(model)
    yield from _exception_date_problems(model.platform.source)
    for env in model.environments.values():
        yield from _environment_problems(model, env)
    for app in model.apps.values():
        yield from _app_problems(model, app)
    yield from _cycle_problems(model)


def _exception_date_problems(source: SourceFile) -> Iterator[Problem]:
    """Every exception's `expires` is a calendar date (the schema checks only its shape)."""
    for index, item in enumerate(source.node.get("exceptions") or []):
        expires = item.get("expires")
        if expires is None:
            continue
        try:
            date.fromisoformat(str(expires))
        except ValueError as error:
            path = ("exceptions", index, "expires")
            message = f"exceptions.{index}.expires: {expires!r} is not a date ({error})"
            yield _problem_at(source, path, message)


def _problem_at(source: SourceFile, path: ValuePath, message: str) -> Problem:
    origin = origin_of(source, path, "")
    return Problem(message, origin.file, origin.line, origin.column)


def _platform_problems(model: Model) -> Iterator[Problem]:
    platform = model.platform
    source = platform.source
    providers = [
        (("ingress", "providedBy"), platform.ingress_provider),
        (("databases", "providedBy"), platform.database_provider),
    ]
    if platform.secrets is not None:
        providers.append((("secrets", "providedBy"), platform.secrets.provider))
    for path, app in providers:
        if app not in model.apps:
            yield _problem_at(source, path, _unknown("app", app, model.apps))
    if platform.database_node_group not in platform.node_groups:
        yield _problem_at(
            source,
            ("databases", "nodeGroup"),
            _unknown("node group", platform.database_node_group, platform.node_groups),
        )
    for index, env in enumerate(platform.promotion):
        if env not in model.environments:
            yield _problem_at(
                source, ("promotion", index), _unknown("environment", env, model.environments)
            )
    declared = source.node["nodeGroups"]
    names = [group["name"] for group in declared] if isinstance(declared, list) else []
    for index, name in enumerate(names):
        if name in names[:index]:
            yield _problem_at(
                source, ("nodeGroups", index), f"node group {name!r} is defined twice"
            )


def _unknown(what: str, name: str, known: Mapping[str, Any]) -> str:
    choices = ", ".join(sorted(known)) or "none defined"
    return f"unknown {what} {name!r} (known: {choices})"


def _environment_problems(model: Model, env: EnvironmentDef) -> Iterator[Problem]:
    for app in env.apps:
        if app not in model.apps:
            yield _problem_at(env.source, ("apps", app), _unknown("app", app, model.apps))
            continue
        if "chart" in env.override(app) and model.apps[app].chart.local:
            yield _problem_at(
                env.source,
                ("apps", app, "chart", "version"),
                f"app {app!r} uses the chart {model.apps[app].chart.path}, owned here and "
                "rendered from this repository's revision: it has no version to set",
            )
        databases = env.override(app).get("databases", {})
        for name in databases:
            if name not in model.apps[app].databases:
                yield _problem_at(
                    env.source,
                    ("apps", app, "databases", name),
                    _unknown(f"database of app {app!r}", name, model.apps[app].databases),
                )


def _app_problems(model: Model, app: AppDef) -> Iterator[Problem]:
    source = app.source
    for index, dependency in enumerate(app.depends_on):
        if dependency not in model.apps:
            yield _problem_at(source, ("dependsOn", index), _unknown("app", dependency, model.apps))
    groups = model.platform.node_groups
    if app.node_group is not None and app.node_group not in groups:
        yield _problem_at(
            source, ("placement", "nodeGroup"), _unknown("node group", app.node_group, groups)
        )
    for workload, group in app.workload_groups.items():
        if group != EVERY_NODE and group not in groups:
            yield _problem_at(
                source, ("placement", "workloads", workload), _unknown("node group", group, groups)
            )
    yield from _profile_problems(model, app)
    if app.secrets and model.platform.secrets is None:
        yield _problem_at(
            source,
            ("secrets",),
            f"app {app.name!r} declares secrets, but {model.platform.source.name} names no secret "
            "store: add `secrets: {store, chart, providedBy}` there",
        )


def _profile_problems(model: Model, app: AppDef) -> Iterator[Problem]:
    needs_profile = app.node_group or app.workload_groups or app.ingresses
    profile = model.profiles.get(app.profile)
    if profile is None:
        if needs_profile:
            where = "profile" if "profile" in app.source.node else "chart"
            yield _problem_at(
                app.source,
                (where,),
                f"no chart profile {app.profile!r}: add sources/profiles/{app.profile}.yaml "
                "saying where the chart keeps placement and ingress settings",
            )
        return
    for workload in app.workload_groups:
        if workload not in profile.workloads:
            yield _problem_at(
                app.source,
                ("placement", "workloads", workload),
                _unknown(f"workload of profile {profile.name!r}", workload, profile.workloads),
            )
    for ingress in app.ingresses:
        if ingress not in profile.ingresses:
            yield _problem_at(
                app.source,
                ("ingresses", ingress),
                _unknown(f"ingress of profile {profile.name!r}", ingress, profile.ingresses),
            )


def _cycle_problems(model: Model) -> Iterator[Problem]:
    graph = {
        name: [d for d in app.depends_on if d in model.apps] for name, app in model.apps.items()
    }
    cycle = find_cycle(graph)
    if cycle:
        app = model.apps[cycle[0]]
        index = app.depends_on.index(cycle[1])
        yield _problem_at(
            app.source, ("dependsOn", index), "dependency cycle: " + " -> ".join(cycle)
        )


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """One dependency cycle as a closed walk from its smallest name (`a -> b -> a`: a depends on
    b, b on a), or [] when the graph has none."""
    try:
        dependency_order(graph)
    except graphlib.CycleError as error:
        walk: list[str] = list(reversed(error.args[1]))[:-1]  # graphlib lists dependencies first
        start = walk.index(min(walk))
        ring = walk[start:] + walk[:start]
        return [*ring, ring[0]]
    return []


def dependency_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """Every name after the names it depends on; ties in name order, so the result is stable."""
    sorter = graphlib.TopologicalSorter({name: sorted(graph[name]) for name in sorted(graph)})
    return list(sorter.static_order())
