"""Subjects of the rendered repository: the committed output, located through provenance.

A value that matches what the sources render points at the source line that set it; a value that
differs (edited by hand, stale) points at its line in the committed file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitopsctl.errors import InputError
from gitopsctl.kube.apivalidation import ApiProblem, resources_problems, toleration_problems
from gitopsctl.kube.capacity import container_requests, requests_of
from gitopsctl.kube.names import SYNC_WAVE
from gitopsctl.kube.schemastore import SchemaStore
from gitopsctl.kube.workloads import as_int, placement_of, separate_nodes, spread_keys
from gitopsctl.paths import ValuePath, format_path, lookup
from gitopsctl.render.values import CREDENTIAL_KEYS
from gitopsctl.sources.chartlock import LOCK_FILE
from gitopsctl.sources.layering import Tracked
from gitopsctl.sources.model import (
    EnvironmentDef,
    IngressSpot,
    Model,
    Platform,
    Profile,
    ValueReference,
    WorkloadSpot,
    origin_of,
    split_path,
)
from gitopsctl.subjects import ingresses, references
from gitopsctl.subjects.charts import ChartFacts, chart_facts, environment_pins
from gitopsctl.subjects.locate import node_locator
from gitopsctl.subjects.promotion import promotion_stages, with_promotion
from gitopsctl.subjects.records import (
    Application,
    DatabaseCluster,
    Document,
    Environment,
    Ingress,
    Locate,
    Location,
    Malformed,
    PreinstalledApi,
    Provided,
    ProvidedSecret,
    Reference,
    ValuesDocument,
    Workload,
)
from gitopsctl.yaml import reader

if TYPE_CHECKING:
    from gitopsctl.render.rendering import RenderedApp, RenderedEnvironment, Rendering

SCANNED = ("applications", "rendered", "charts")
EXTERNAL_SECRETS_API = "external-secrets.io"


class Output(NamedTuple):
    """The rendering in memory, and the generated files on disk as text."""

    repo: Path
    rendering: Rendering
    on_disk: Mapping[str, str]


class Committed:
    """A committed generated file, parsed only when needed.

    When the file is exactly what the sources render (the common case), its data is the rendered
    data and nothing is parsed; positions are parsed from the file only when a finding asks.
    """

    def __init__(self, output: Output, name: str, rendered: Any) -> None:
        self.name = name
        self._output = output
        self._rendered_text = output.rendering.files.get(name)
        self._rendered = rendered

    @functools.cached_property
    def text(self) -> str | None:
        if self.name in self._output.on_disk:  # read once already, by the drift check
            return self._output.on_disk[self.name]
        try:
            return (self._output.repo / self.name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    @functools.cached_property
    def data(self) -> Any:
        """The committed data, or None when the file is missing or unparseable."""
        if self.text is not None and self.text == self._rendered_text:
            return self._rendered
        return self.node

    @functools.cached_property
    def node(self) -> Any:
        if self.text is None:
            return None
        try:
            return reader.parse(self.text, self.name)
        except InputError:
            return None

    def locator(self, rendered: str | None) -> Locate:
        def locate(path: ValuePath) -> Location:
            return node_locator(self.node, self.name, rendered)(path)

        return locate


def values_locator(
    committed: Any, in_file: Locate, tracked: Tracked, file: str, fallback: Location
) -> Locate:

    def locate(path: ValuePath) -> Location:
        found, value = lookup(committed, path)
        wanted = tracked.get(path)
        if value is wanted or reader.to_plain(value) == wanted:
            origin = tracked.origin(path)
            if origin is not None:
                return Location(origin.file, origin.line, origin.column, file)
            if not found:
                return fallback._replace(rendered=file)
        return in_file(path)

    return locate


def repository_environments(
    repo: Path,
    rendering: Rendering,
    on_disk: Mapping[str, str] | None = None,
    charts: ChartFacts | None = None,
) -> Iterator[Environment]:
    """The subjects of each rendered environment. ``on_disk`` holds the generated files of those
    environments as the drift check read them; without it they are read here. ``charts`` are
    the chart lock and cache (default: the repository's lock and the user's chart cache)."""
    return map(environment_subjects(repo, rendering, on_disk, charts), rendering.environments)


def environment_subjects(
    repo: Path,
    rendering: Rendering,
    on_disk: Mapping[str, str] | None = None,
    charts: ChartFacts | None = None,
) -> Callable[[str], Environment]:
    """What the environments share read once (as `repository_environments` does), and a function
    building the subjects of one rendered environment by name."""
    if on_disk is None:
        from gitopsctl.render.output import generated_on_disk

        on_disk = generated_on_disk(repo, list(rendering.environments))
    output = Output(repo, rendering, on_disk)
    files = frozenset(_repo_files(repo))
    stages = promotion_stages(rendering)
    facts = charts or chart_facts(repo)

    def subjects(name: str) -> Environment:
        env = with_promotion(_environment(output, rendering.environments[name], files), stages)
        return _with_charts(env, rendering, name, facts)

    return subjects


def _with_charts(
    env: Environment, rendering: Rendering, name: str, facts: ChartFacts
) -> Environment:
    lock = LOCK_FILE if facts.lock is not None else None
    return replace(env, charts=environment_pins(rendering, name, facts), chart_lock=lock)


def _repo_files(repo: Path) -> Iterator[str]:
    for top in SCANNED:
        yield from _files_below(os.fspath(repo), top)


def _files_below(root: str, folder: str) -> Iterator[str]:
    """The files below ``folder`` (a link to a file counts, a linked folder is not entered), as
    repository paths; strings, since path objects for thousands of files cost more."""
    try:
        listing = list(os.scandir(f"{root}/{folder}"))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in listing:
        name = f"{folder}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _files_below(root, name)
        elif entry.is_file():
            yield name


def _environment(
    output: Output, rendered: RenderedEnvironment, files: frozenset[str]
) -> Environment:
    model = output.rendering.model
    env = rendered.env
    platform = model.platform
    provided = platform.ingress_provider in env.apps
    subjects = environment_of(
        platform,
        env,
        providers=frozenset([platform.ingress_class] if provided else []),
        issuers=issuer_names(rendered),
        api_sources=api_sources(model),
        files=files,
        schemas=SchemaStore(platform.kubernetes_version),
        generated_files={
            name: Location(name, 1, 1, name)
            for name in output.on_disk
            if name.split("/")[1:2] == [env.name]
        },
    )
    root = Committed(output, rendered.root_file, rendered.root)
    if root.data is not None:
        locate = root.locator(rendered.root_file)
        subjects = _with_root(subjects, root.data, locate)
        subjects.documents.append(_document(None, root.data, locate))
    file = rendered.project_file
    project = Committed(output, file, rendered.project)
    if project.data is not None:
        subjects.documents.append(_document(None, project.data, project.locator(file)))
    for app in rendered.apps.values():
        _add_app(output, subjects, app)
    return subjects


def _document(app: str | None, node: Any, locate: Locate) -> Document:
    """An Argo CD object to check against the project's schema for its kind."""
    kind = _get(node, "kind")
    name = f"{kind}/{_get(node, 'metadata', 'namespace')}/{_get(node, 'metadata', 'name')}"
    api_version = _get(node, "apiVersion")
    return Document(app, name, str(api_version), str(kind), node, locate)


def environment_of(platform: Platform, env: EnvironmentDef | None, **subjects: Any) -> Environment:
    """An environment's settings for the rules (none but the platform's when ``env`` is None)."""
    source = env.source if env is not None else platform.source
    return Environment(
        name=env.name if env else None,
        tier=env.tier if env else "development",
        domain=env.domain if env else None,
        issuer=env.issuer if env else None,
        ingress_class=platform.ingress_class,
        node_groups=list(platform.node_groups.values()),
        database_namespace=platform.database_namespace,
        database_node_group=platform.database_node_group,
        ingress_class_providers=subjects.pop("providers"),
        issuers=subjects.pop("issuers"),
        locate_environment=node_locator(source.node, source.name),
        preinstalled_apis=preinstalled_apis(platform),
        **subjects,
    )


def preinstalled_apis(platform: Platform) -> tuple[PreinstalledApi, ...]:
    """The API groups the platform declares every cluster serves, each at its source line."""
    locate = node_locator(platform.source.node, platform.source.name)
    return tuple(
        PreinstalledApi(group, reason, locate(("preinstalledApis", index, "group")))
        for index, (group, reason) in enumerate(platform.preinstalled_apis)
    )


def api_sources(model: Model) -> dict[str, tuple[str, ...]]:
    """Every app of the sources that declares it provides an API group, by group."""
    found: dict[str, list[str]] = {}
    for name in sorted(model.apps):
        for group in model.apps[name].provides_apis:
            found.setdefault(group, []).append(name)
    return {group: tuple(names) for group, names in found.items()}


def planned_applications(model: Model, rendered: RenderedEnvironment) -> tuple[Application, ...]:
    """The environment's Applications as the sources render them: waves and declared APIs for
    the rules over its objects (the committed Applications are the repository's subjects)."""
    return tuple(_planned(model, app) for app in rendered.apps.values())


def _planned(model: Model, app: RenderedApp) -> Application:
    apis = _declared_apis(model, app)
    file = app.application_file
    return Application(
        app=app.name,
        name=str(_get(app.application, "metadata", "name")),
        wave=app.wave,
        depends_on=app.unit.depends_on,
        provides_apis=apis.provides,
        uses_apis=apis.uses,
        document=app.application,
        locate=lambda path: Location(file, 1, 1, file),
        uses_locations=apis.uses_locations,
    )


def issuer_names(rendered: RenderedEnvironment) -> frozenset[str]:
    """ClusterIssuers rendered in the environment: the `name` of every cluster-issuer chart."""
    names = set()
    for app in rendered.apps.values():
        if app.unit.chart.local and app.unit.chart.name == "cluster-issuer":
            name = app.values.get(("name",))
            if isinstance(name, str):
                names.add(name)
    return frozenset(names)


def _with_root(subjects: Environment, root: Any, locate: Locate) -> Environment:
    name = str(_get(root, "metadata", "name"))
    application = Application("root", name, None, (), (), (), root, locate)
    return replace(subjects, root=application)


def _get(node: Any, *path: str) -> Any:
    return lookup(node, path)[1]


def _add_app(output: Output, subjects: Environment, app: RenderedApp) -> None:
    model = output.rendering.model
    file = app.values_file
    committed = Committed(output, file, app.values.data)
    values_node = committed.data if committed.data is not None else app.values.data
    source = app.unit.app.source
    fallback = Location(source.name, 1, 1)
    in_file = committed.locator(file)
    locate = values_locator(values_node, in_file, app.values, file, fallback)
    values = reader.to_plain(values_node)
    if not isinstance(values, Mapping):
        values = {}
    subjects.values.append(ValuesDocument(app.name, values, locate))
    application = _application(output, app)
    subjects.applications.append(application)
    subjects.documents.append(_document(app.name, application.document, application.locate))
    chart = app.unit.chart
    schema = output.repo / chart.path / "values.schema.json" if chart.path else None
    if schema is not None and schema.is_file():
        name = f"values of {chart.path} ({app.values_file})"
        subjects.documents.append(Document(app.name, name, None, None, values, locate, schema))
    provided, secrets = declared_providers(model, app)
    subjects.provided.extend(provided)
    subjects.provided_secrets.extend(secrets)
    if app.unit.database is not None:
        subjects.databases.append(_database(app, application, values, locate))
        return
    if app.unit.delivers_secrets:
        return
    profile = model.profiles.get(app.unit.app.profile)
    subjects.workloads.extend(_workloads(app.name, profile, values, locate))
    subjects.named_workloads.extend(_named_workloads(app.name, profile, locate))
    subjects.ingresses.extend(_ingresses(app.name, profile, values, locate))
    if profile is not None:
        namespace = _namespace(app)
        subjects.references.extend(_value_references(app.name, namespace, profile, values, locate))


def _namespace(app: RenderedApp) -> str:
    """The namespace Argo CD installs the app's release in."""
    return str(_get(app.application, "spec", "destination", "namespace"))


def declared_providers(
    model: Model, app: RenderedApp
) -> tuple[list[Provided], list[ProvidedSecret]]:
    """What the sources say an app provides: a database's CloudNativePG secrets, what its chart
    creates at run time (its profile's `creates`), the Secrets it declares under
    `providedSecrets`, and the Secrets its generated ExternalSecrets deliver (the app's
    `secrets:` and its databases' credentials)."""
    namespace = _namespace(app)
    delivered = list(app_provided_secrets(app))
    if app.unit.database is not None:
        # A Cluster bootstrapped from delivered credentials writes no `<name>-app` of its own.
        cnpg = references.cnpg_secrets(app.name, namespace, superuser=False)
        return ([] if delivered else list(cnpg)), delivered
    if app.unit.delivers_secrets:
        return [], delivered
    profile = model.profiles.get(app.unit.app.profile)
    chart = f"chart {app.unit.chart.name} of app {app.name}"
    release = str(app.application["spec"]["sources"][0]["helm"]["releaseName"])
    provided = [
        Provided(
            created.kind, namespace, created.name.replace("{release}", release), created.keys, chart
        )
        for created in (profile.creates if profile else ())
    ]
    source = app.unit.app.source
    secrets = [
        ProvidedSecret(
            declared.namespace,
            declared.name,
            declared.keys,
            f"providedSecrets of app {app.name}",
            _location(origin_of(source, declared.path, "")),
            declared.reason,
        )
        for declared in app.unit.app.provided_secrets
    ]
    return provided, secrets


def _location(origin: Any) -> Location:
    return Location(origin.file, origin.line, origin.column)


def _value_references(
    app: str, namespace: str, profile: Profile, values: Mapping[str, Any], locate: Locate
) -> Iterator[Reference]:
    """The existing Secrets and ConfigMaps the chart's values name, as the profile says."""
    for kind, spots in (
        (references.SECRET, profile.secret_refs),
        (references.CONFIG_MAP, profile.config_map_refs),
    ):
        for spot in spots:
            for path, stars in _expanded(values, spot.name, ()):
                name = lookup(values, path)[1]
                if isinstance(name, str) and name:
                    key = _key_read(values, spot, stars)
                    user = f"app {app} ({format_path(path)})"
                    yield Reference(kind, namespace, name, key, user, app, locate, path)


def _expanded(
    node: Any, pattern: tuple[str, ...], path: ValuePath
) -> Iterator[tuple[ValuePath, tuple[str | int, ...]]]:
    """The paths of the values a pattern matches, and what each `*` stood for."""
    if not pattern:
        yield path, ()
        return
    head, rest = pattern[0], pattern[1:]
    if head != "*":
        found = node.get(head) if isinstance(node, Mapping) else None
        if found is not None:
            yield from _expanded(found, rest, (*path, head))
        return
    parts: list[tuple[str | int, Any]] = []
    if isinstance(node, Mapping):
        parts = [(str(key), value) for key, value in node.items()]
    elif isinstance(node, list):
        parts = list(enumerate(node))
    for part, value in parts:
        for found, stars in _expanded(value, rest, (*path, part)):
            yield found, (part, *stars)


def _key_read(
    values: Mapping[str, Any], spot: ValueReference, stars: tuple[str | int, ...]
) -> str | None:
    """The key the chart reads: the value at the spot's key path (its `*` the name's), else
    the chart's default."""
    if spot.key is not None:
        bound = iter(stars)
        path = tuple(next(bound, "*") if part == "*" else part for part in spot.key)
        key = lookup(values, path)[1]
        if isinstance(key, str) and key:
            return key
    return spot.key_default


def _application(output: Output, app: RenderedApp) -> Application:
    model = output.rendering.model
    file = app.application_file
    committed = Committed(output, file, app.application)
    document = committed.data if committed.data is not None else app.application
    wave = _wave(document)
    apis = _declared_apis(model, app)
    return Application(
        app=app.name,
        name=str(_get(document, "metadata", "name")),
        wave=wave,
        depends_on=app.unit.depends_on,
        provides_apis=apis.provides,
        uses_apis=apis.uses,
        document=document,
        locate=_application_locator(document, committed.locator(file), app),
        uses_locations=apis.uses_locations,
    )


class _DeclaredApis(NamedTuple):
    provides: tuple[str, ...]
    uses: tuple[str, ...]
    uses_locations: tuple[Location, ...]  # where the sources declare each use


def _declared_apis(model: Model, app: RenderedApp) -> _DeclaredApis:
    """An app's `apis`; a database's Application uses the database operator's group, declared
    by its entry under `databases:` (and the secret store's, for its credentials); an app's
    Secrets use the secret store's group, declared by its `secrets:`."""
    definition = app.unit.app
    database = app.unit.database
    secrets = (_secrets_api(model),) if model.platform.secrets is not None else ()
    if database is not None:
        # its Cluster, and the ExternalSecret of its owner's credentials
        entry = node_locator(database.source.node, database.source.name)(database.path)
        return _DeclaredApis((), (_database_api(model), *secrets), (entry,) * (1 + len(secrets)))
    if app.unit.delivers_secrets:  # the ExternalSecrets of the app's `secrets:` and databases
        entry = node_locator(definition.source.node, definition.source.name)(("secrets",))
        return _DeclaredApis((), secrets, (entry,) * len(secrets))
    locate = node_locator(definition.source.node, definition.source.name)
    uses = definition.uses_apis
    where = tuple(locate(("apis", "uses", index)) for index in range(len(uses)))
    return _DeclaredApis(definition.provides_apis, uses, where)


def _secrets_api(model: Model) -> str:
    """The API group of ExternalSecrets: the one the secret store's app uses."""
    settings = model.platform.secrets
    provider = model.apps.get(settings.provider) if settings is not None else None
    return provider.uses_apis[0] if provider and provider.uses_apis else EXTERNAL_SECRETS_API


def app_provided_secrets(app: RenderedApp) -> Iterator[ProvidedSecret]:
    """The Secrets an app's or a database's ExternalSecrets deliver, each at the source line
    that declares it."""
    values = app.values
    if app.unit.delivers_secrets:
        declared = values.get(("externalSecrets",))
        for name, secret in declared.items() if isinstance(declared, Mapping) else ():
            path = ("externalSecrets", name)
            yield _provided(app, name, frozenset(secret.get("data", {})), path)
    elif app.unit.database is not None:
        name = values.get(("credentials", "secretName"))
        if isinstance(name, str):
            yield _provided(app, name, frozenset(CREDENTIAL_KEYS), ("credentials",))


def _provided(app: RenderedApp, name: str, keys: frozenset[str], path: ValuePath) -> ProvidedSecret:
    namespace = app.unit.namespace
    origin = app.values.origin(path)
    fallback = Location(app.unit.app.source.name, 1, 1, app.values_file)
    location = (
        Location(origin.file, origin.line, origin.column, app.values_file) if origin else fallback
    )
    provider = f"ExternalSecret {namespace}/{name}"
    return ProvidedSecret(namespace, name, keys, provider, location)


def _database_api(model: Model) -> str:
    provider = model.apps.get(model.platform.database_provider)
    return (
        provider.provides_apis[0] if provider and provider.provides_apis else "postgresql.cnpg.io"
    )


def _application_locator(document: Any, in_file: Locate, app: RenderedApp) -> Locate:
    source = app.unit.app.source

    def locate(path: ValuePath) -> Location:
        found, value = lookup(document, path)
        wanted_found, wanted = lookup(app.application, path)
        if found == wanted_found and (value is wanted or reader.to_plain(value) == wanted):
            key = "syncWave" if path[-1:] == (SYNC_WAVE,) else None
            source_path: ValuePath = (key,) if key and key in source.node else ()
            where = node_locator(source.node, source.name)(source_path)
            return where._replace(rendered=app.application_file)
        return in_file(path)

    return locate


def _wave(document: Any) -> int | None:
    text = _get(document, "metadata", "annotations", SYNC_WAVE)
    try:
        return int(str(text)) if text is not None else 0
    except ValueError:
        return None


def _workloads(
    app: str, profile: Profile | None, values: Mapping[str, Any], locate: Locate
) -> Iterator[Workload]:
    spots = profile.workloads.values() if profile else _conventional_workloads(values)
    for spot in spots:
        if not spot.named_only:
            yield _workload(app, spot, values, locate)


def _named_workloads(app: str, profile: Profile | None, locate: Locate) -> Iterator[Workload]:
    """The profile's workloads known only by their rendered names: what `validate --helm` knows
    of those objects (a singleton), nothing the values hold."""
    for spot in profile.workloads.values() if profile else ():
        if spot.named_only:
            yield Workload(
                app,
                spot.name,
                spot.kind,
                None,
                None,
                None,
                (),
                _at(locate(())),
                {},
                spot.singleton,
                spot.rendered,
            )


def _at(location: Location) -> Locate:
    def locate(path: ValuePath) -> Location:
        return location

    return locate


def _workload(app: str, spot: WorkloadSpot, values: Mapping[str, Any], locate: Locate) -> Workload:
    block = lookup(values, spot.path)[1]
    placement, error = placement_of(block)
    replicas = as_int(lookup(values, spot.replicas)[1]) if spot.replicas else None
    spread = lookup(values, spot.topology_spread)[1] if spot.topology_spread else None
    resources_path = spot.resources if spot.resources is not None else (*spot.path, "resources")
    paths = {
        "placement": spot.path,
        "nodeSelector": (*spot.path, "nodeSelector"),
        "tolerations": (*spot.path, "tolerations"),
        "affinity": (*spot.path, "affinity"),
        "replicas": spot.replicas or spot.path,
        "spread": spot.topology_spread or spot.path,
        "resources": resources_path,
    }
    resources = lookup(values, resources_path)[1]
    where = ".".join(resources_path)
    requests, requests_error = requests_of(container_requests, resources, where)
    return Workload(
        app,
        spot.name,
        spot.kind,
        placement,
        error,
        replicas,
        spread_keys(spread),
        locate,
        paths,
        spot.singleton,
        spot.rendered,
        tuple(_values_problems(values, paths)),
        requests,
        requests_error,
    )


def _values_problems(
    values: Mapping[str, Any], paths: Mapping[str, ValuePath]
) -> Iterator[ApiProblem]:
    """What the API server would refuse of the values a chart puts into the workload's pods:
    the spelling of toleration effects, and the requests and limits where the profile says."""
    tolerations = paths["tolerations"]
    found = lookup(values, tolerations)[1]
    yield from toleration_problems(found, tolerations)
    resources = paths.get("resources")
    if resources is not None:
        yield from resources_problems(
            lookup(values, resources)[1], resources, format_path(resources)
        )


def _conventional_workloads(values: Mapping[str, Any]) -> Iterator[WorkloadSpot]:
    """Without a profile: every mapping that holds nodeSelector or tolerations is a workload."""
    for path, block in _mappings(values, ()):
        if "nodeSelector" in block or "tolerations" in block:
            name = ".".join(str(p) for p in path) or "(root)"
            spot_path = tuple(str(p) for p in path)
            resources = (*spot_path, "resources")
            yield WorkloadSpot(name, spot_path, "Deployment", None, None, resources=resources)


def _mappings(node: Any, path: ValuePath) -> Iterator[tuple[ValuePath, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        yield path, node
        for key, value in node.items():
            yield from _mappings(value, (*path, key))


def _ingresses(
    app: str, profile: Profile | None, values: Mapping[str, Any], locate: Locate
) -> Iterator[Ingress]:
    spots = profile.ingresses.values() if profile else _conventional_ingresses(values)
    for spot in spots:
        block = lookup(values, spot.path)[1]
        if not isinstance(block, Mapping):
            continue
        malformed: list[Malformed] = []
        if ingresses.enabled(block.get("enabled"), (*spot.path, "enabled"), malformed):
            yield _ingress(app, spot, block, locate, malformed)


def _conventional_ingresses(values: Mapping[str, Any]) -> Iterator[IngressSpot]:
    for path, block in _mappings(values, ()):
        if path and path[-1] == "ingress" and block.get("enabled") not in (None, False):
            style = "hostname" if "hostname" in block else "hosts"
            tls = "flag" if isinstance(block.get("tls"), bool) else "list"
            yield IngressSpot(
                ".".join(map(str, path)), split_path(".".join(map(str, path))), style, tls
            )


def _ingress(
    app: str,
    spot: IngressSpot,
    block: Mapping[str, Any],
    locate: Locate,
    malformed: list[Malformed],
) -> Ingress:
    base = spot.path
    paths = {
        "ingress": base,
        "class": (*base, "ingressClassName"),
        "annotations": (*base, "annotations"),
        "issuer": (*base, "annotations", "cert-manager.io/cluster-issuer"),
        "tls": (*base, "tls"),
    }
    class_name = ingresses.class_name(block.get("ingressClassName"), paths["class"], malformed)
    annotations = ingresses.annotation_map(
        block.get("annotations"), paths["annotations"], malformed
    )
    hosts = tuple(_hosts(spot, block, base, malformed))
    tls_value = block.get("tls")
    tls = (
        tuple(ingresses.tls_list(tls_value, paths["tls"], malformed)) if spot.tls == "list" else ()
    )
    flag = spot.tls == "flag" and ingresses.tls_flag(tls_value, paths["tls"], malformed)
    return Ingress(
        app=app,
        name=spot.name,
        class_name=class_name,
        annotations=annotations,
        hosts=hosts,
        tls=tls,
        tls_flag=flag,
        locate=locate,
        paths=paths,
        malformed=tuple(malformed),  # filled while reading the parts above
    )


def _hosts(
    spot: IngressSpot, block: Mapping[str, Any], base: ValuePath, malformed: list[Malformed]
) -> Iterator[tuple[str, ValuePath]]:
    if spot.hosts == "hostname":
        yield from ingresses.hostname(block.get("hostname"), (*base, "hostname"), malformed)
    elif spot.hosts == "rules":
        yield from ingresses.rule_hosts(block.get("rules"), (*base, "rules"), malformed)
    else:
        yield from ingresses.host_list(block.get("hosts"), (*base, "hosts"), malformed)


def _database(
    app: RenderedApp, application: Application, values: Mapping[str, Any], locate: Locate
) -> DatabaseCluster:
    placement, error = placement_of(values)
    requests, requests_error = requests_of(container_requests, values.get("resources"), "resources")
    namespace_path = ("spec", "destination", "namespace")
    destination = lookup(application.document, namespace_path)[1]
    return DatabaseCluster(
        app=app.name,
        name=app.name,
        namespace=destination,
        instances=as_int(values.get("instances")),
        placement=placement,
        placement_error=error,
        locate=locate,
        paths={
            "instances": ("instances",),
            "nodeSelector": ("nodeSelector",),
            "tolerations": ("tolerations",),
            "placement": (),
            "resources": ("resources",),
        },
        namespace_location=application.locate(namespace_path),
        requests=requests,
        requests_error=requests_error,
        separate_nodes=separate_nodes(values),
    )
