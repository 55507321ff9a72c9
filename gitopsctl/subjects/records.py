"""What the policy rules look at: workloads, ingresses, database clusters and Applications.

The same records come from the rendered repository (chart values read through chart profiles)
and from plain Kubernetes manifests, so one rule serves both. Every record can say where each of
its fields lives, as the file and line a user should change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitopsctl.kube.apivalidation import ApiProblem
from gitopsctl.kube.capacity import Resources
from gitopsctl.kube.scheduling import NodeGroup, Placement
from gitopsctl.paths import ValuePath

if TYPE_CHECKING:
    from gitopsctl.kube.kubeschema import SchemaError
    from gitopsctl.kube.schemastore import SchemaStore


class Location(NamedTuple):
    file: str
    line: int
    column: int
    rendered: str | None = None


Locate = Callable[[ValuePath], Location]


class Workload(NamedTuple):
    app: str | None
    name: str
    kind: str
    placement: Placement | None
    placement_error: str | None
    replicas: int | None
    spread_keys: tuple[str, ...]
    locate: Locate
    paths: Mapping[str, ValuePath]
    singleton: bool = False
    rendered: str | None = None  # the profile's glob of the object's name in Helm's output
    # What the API server would refuse in the values that become its pods (repository mode;
    # a manifest's own problems are its Document's).
    api_problems: tuple[ApiProblem, ...] = ()
    requests: Resources | None = None  # what one pod requests; None when it cannot be read
    requests_error: str | None = None  # why not: a quantity that is not one, say


class Malformed(NamedTuple):
    """A value a rule reads that has the wrong type (a number for a host, a string for a list):
    the rule that reads ``field`` reports it, so it is never silently skipped."""

    field: str  # which part of the subject: "class", "hosts", "tls", "annotations"
    path: ValuePath
    message: str


class TlsEntry(NamedTuple):
    hosts: tuple[str, ...]
    secret_name: str | None
    path: ValuePath
    host_paths: tuple[ValuePath, ...] = ()  # where each of ``hosts`` is, when known


class RouteClaim(NamedTuple):
    """What an Ingress routes of a host: one path of one pathType, or (``path`` None) every path,
    when its paths are not known (chart values) or it lists none."""

    host: str
    path: str | None
    path_type: str
    where: ValuePath


class Ingress(NamedTuple):
    app: str | None
    name: str
    class_name: str | None
    annotations: Mapping[str, str]
    hosts: tuple[tuple[str, ValuePath], ...]
    tls: tuple[TlsEntry, ...]
    tls_flag: bool
    locate: Locate
    paths: Mapping[str, ValuePath]
    malformed: tuple[Malformed, ...] = ()
    routes: tuple[RouteClaim, ...] | None = None  # None: every path of every host

    def malformed_in(self, *fields: str) -> list[Malformed]:
        return [found for found in self.malformed if found.field in fields]

    def route_claims(self) -> tuple[RouteClaim, ...]:
        """The routes it claims; every path of each host when its paths are not known."""
        if self.routes is not None:
            return self.routes
        return tuple(RouteClaim(host, None, "", where) for host, where in self.hosts)


class DatabaseCluster(NamedTuple):
    app: str | None
    name: str
    namespace: str | None
    instances: int | None
    placement: Placement | None
    placement_error: str | None
    locate: Locate
    paths: Mapping[str, ValuePath]
    namespace_location: Location | None = None
    requests: Resources | None = None  # what one instance's pod requests
    requests_error: str | None = None
    separate_nodes: bool = False  # required pod anti-affinity: one instance per node at most


class Application(NamedTuple):
    """A child Application of an environment, as committed."""

    app: str
    name: str
    wave: int | None
    depends_on: tuple[str, ...]
    provides_apis: tuple[str, ...]
    uses_apis: tuple[str, ...]
    document: Mapping[str, Any]
    locate: Locate
    # Where the sources declare each of ``uses_apis`` (an app's `apis.uses` item, a database's
    # entry under `databases:`), in the same order.
    uses_locations: tuple[Location, ...] = ()


class ValuesDocument(NamedTuple):
    """One app's chart values, for rules that read values directly."""

    app: str | None
    values: Mapping[str, Any]
    locate: Locate


class Document(NamedTuple):
    """An object to check against its schema: an Application, a manifest, a chart's values."""

    app: str | None
    name: str
    api_version: str | None
    kind: str | None
    body: Mapping[str, Any]
    locate: Locate
    schema_file: Path | None = None
    # Found while the object was read, so a manifest stream need not keep every object:
    schema_errors: tuple[SchemaError, ...] | None = None
    # Likewise what the API server refuses beyond the schema; None: not checked yet.
    api_problems: tuple[ApiProblem, ...] | None = None


class Carried(NamedTuple):
    """A value a promotion carries, and the source line that sets it."""

    value: Any
    location: Location


class PromotedApp(NamedTuple):
    """What a promotion carries of one app in one environment: the chart version (None for a
    chart owned here) and the values at the app's `promote` paths that the environment has."""

    app: str
    chart_version: Carried | None
    values: Mapping[ValuePath, Carried]


class Stage(NamedTuple):
    """One environment of the promotion order, and what it runs of each app."""

    env: str
    apps: Mapping[str, PromotedApp]


class ProvidedSecret(NamedTuple):
    """A Secret something of the environment creates in a namespace, and who says so: an
    ExternalSecret the sources declare, a CloudNativePG Cluster, a chart, `providedSecrets`."""

    namespace: str
    name: str
    keys: frozenset[str] | None  # the keys it holds; None when they are not known
    provider: str  # for messages: "ExternalSecret keycloak/keycloak-db-credentials"
    location: Location  # the source line that declares it
    # Why it is created outside the repository (`providedSecrets`): each pod's use of it is
    # reported as an excepted finding, as an exception's are; None for what the repository makes.
    reason: str | None = None


class Reference(NamedTuple):
    """An object that needs another by name in a namespace: a pod's Secret, ConfigMap or
    ServiceAccount, an Ingress backend's Service (and the key or port it reads)."""

    kind: str  # what it needs: Secret, ConfigMap, Service, ServiceAccount
    namespace: str | None  # None: the object names no namespace (a plain manifest)
    name: str
    key: str | None  # the key of a Secret or ConfigMap, the port of a Service; None: any
    user: str  # who needs it, for messages: `StatefulSet/keycloak/keycloak`
    app: str | None
    locate: Locate
    path: ValuePath  # where the reference is, located only for a finding

    @property
    def location(self) -> Location:
        return self.locate(self.path)


class Provided(NamedTuple):
    """An object of a kind a reference needs, as something of the environment provides it: a
    Secret or Service among the objects, a CloudNativePG Cluster's secrets, a chart's own."""

    kind: str
    namespace: str | None
    name: str
    keys: frozenset[str] | None  # its keys (a Service: its port numbers and names); None: any
    provider: str  # for messages: "CloudNativePG Cluster keycloak-db"
    reason: str | None = None  # why it is provided outside the repository, if it is


class ChartPin(NamedTuple):
    """An upstream chart an app of the environment pins, and what the lock and the chart cache
    hold of it."""

    app: str
    repo: str
    name: str
    version: str
    location: Location  # where the version is set
    locked_digest: str | None  # the lock's digest of exactly this chart, None when it has none
    lock_location: Location | None  # that entry of the lock
    locked_elsewhere: tuple[str, ...]  # `<version> from <repo>` locked under the same name
    cached_digest: str | None  # of the archive in the chart cache, None when it is not there
    cached_file: str | None


class PreinstalledApi(NamedTuple):
    """An API group the cluster serves before Argo CD syncs anything (`preinstalledApis`)."""

    group: str
    reason: str
    location: Location


class DefinedKind(NamedTuple):
    """A custom resource kind that a CustomResourceDefinition among the objects defines."""

    app: str | None
    group: str
    kind: str
    served: tuple[str, ...]  # the versions it serves
    name: str  # the CRD object, `CustomResourceDefinition/servicemonitors.monitoring.coreos.com`


@dataclass(frozen=True)
class Environment:
    """Everything the rules need to know about one environment, and its subjects."""

    name: str | None
    tier: str
    domain: str | None
    issuer: str | None
    ingress_class: str | None  # None: not known (manifests outside a platform), not checked
    node_groups: Sequence[NodeGroup]
    database_namespace: str | None  # None: not known, as the ingress class
    database_node_group: str | None
    ingress_class_providers: frozenset[str]
    issuers: frozenset[str]
    locate_environment: Locate
    workloads: list[Workload] = field(default_factory=list)
    ingresses: list[Ingress] = field(default_factory=list)
    databases: list[DatabaseCluster] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    values: list[ValuesDocument] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    schemas: SchemaStore | None = None
    root: Application | None = None
    files: frozenset[str] = frozenset()
    generated_files: Mapping[str, Location] = field(default_factory=dict)
    promoted: Mapping[str, PromotedApp] = field(default_factory=dict)
    earlier: tuple[Stage, ...] = ()  # the environments before this one in `promotion`
    # Secrets the sources say the environment's apps get (generated ExternalSecrets, secrets
    # provided out of band); the reference rules add what the objects themselves provide.
    provided_secrets: list[ProvidedSecret] = field(default_factory=list)
    # Workloads a chart profile knows only by the name of the object the chart renders; only
    # the rendered objects are checked, with these facts (`validate --helm`).
    named_workloads: list[Workload] = field(default_factory=list)
    # Database clusters the environment's sources render, whether or not among the subjects:
    # manifests of one app still connect to the clusters of others.
    rendered_databases: frozenset[str] = frozenset()
    charts: list[ChartPin] = field(default_factory=list)
    chart_lock: str | None = None  # the lock file's name, None when the repository has none
    # API groups the cluster serves before anything syncs, as the platform declares them.
    preinstalled_apis: tuple[PreinstalledApi, ...] = ()
    # The kinds the CRDs among the objects define (Helm's output, manifests).
    defined_kinds: list[DefinedKind] = field(default_factory=list)
    # The environment's Applications when the subjects are their objects (`validate --helm`, or
    # manifests of a named environment): their waves and declared APIs, for the rules over the
    # objects; the Applications themselves are the repository's subjects, checked there.
    sync_plan: tuple[Application, ...] = ()
    # Every app of the sources that declares it provides an API group, by group, whether or
    # not the environment runs it: what a finding suggests adding.
    api_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What objects need of others by name, and what provides objects of those kinds. With
    # ``references_complete`` False (a manifest stream that may be part of an environment),
    # only a reference to an object that is there but lacks the key or port is reported.
    references: list[Reference] = field(default_factory=list)
    provided: list[Provided] = field(default_factory=list)
    references_complete: bool = True

    @property
    def production(self) -> bool:
        return self.tier == "production"
