"""Every custom resource kind has its CRD installed by an earlier app, or declared preinstalled.

A custom resource (a ServiceMonitor, a CloudNativePG Cluster, a cert-manager ClusterIssuer) can be
applied only once the cluster serves its kind: Argo CD's sync of the app that holds it fails with
"the server could not find the requested resource", and the app stays OutOfSync. Its
CustomResourceDefinition must come from an app of the same environment in an earlier sync wave,
or be declared in `preinstalledApis` of `sources/platform.yaml` (CRDs the cluster has before Argo
CD syncs anything, each with its reason). An app may hold a CRD and its custom resources together:
within one sync Argo CD applies CustomResourceDefinitions before other kinds and skips the dry run
of resources whose CRD is part of the same sync (the `SkipDryRunOnMissingResource` sync option is
needed only when the CRD comes from elsewhere at run time, as an operator that creates it).

What it reads:

- the repository (`validate`): each app's `apis.uses` and each database's operator group (a
  database under `databases:` uses the group of the platform's `databases.providedBy` app). A
  used group that no app of the environment declares in `apis.provides` is reported at the line
  that declares the use. Whether the provider syncs in an earlier wave is the `sync-order`
  rule's part: one defect, one finding.
- the objects (`validate --helm`, and `validate --manifests --env`): every object whose API group
  the Kubernetes API server does not serve itself (the groups of the platform's Kubernetes
  version). Its kind is installed by a CRD among the environment's objects whose `spec.group`
  and `spec.names.kind` match and which serves the object's version, or by an app that declares
  the group in `apis.provides` (its CRDs may be outside the rendered charts); that app must be
  the object's own app or sync in an earlier wave. A group the object's app declares in
  `apis.uses` is left to the repository's check and to `sync-order`, so each defect is reported
  once; a CRD that does not serve the object's version is reported either way. Each app's use of
  a kind is reported once, at its first object. Manifests outside a named environment are not
  checked: what the cluster has installed is not known there.

Passing (monitoring's ServiceMonitor, whose CRD the prometheus-operator app installs in wave 1):

    # sources/apps/prometheus-operator.yaml
    syncWave: 1
    apis:
      provides: [monitoring.coreos.com]
    # sources/apps/retool.yaml
    syncWave: 3
    apis:
      uses: [monitoring.coreos.com]

Failing (no app of the environment provides monitoring.coreos.com, and it is not preinstalled):

    # sources/apps/retool.yaml
    apis:
      uses: [monitoring.coreos.com]
    # sources/platform.yaml
    preinstalledApis: []
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any, NamedTuple

from gitopsctl.findings import Severity
from gitopsctl.kube.kubeschema import KubeSchemas, supported_versions
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Application, DefinedKind, Document, Environment

ID = "crd-provider"
SEVERITY = Severity.ERROR

API_VERSION_PATH = ("apiVersion",)


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    preinstalled = frozenset(api.group for api in env.preinstalled_apis)
    if env.applications:
        yield from _declared_uses(env, preinstalled)
    elif env.name is not None:
        yield from _object_uses(env, preinstalled)


# -- the repository: declared uses -----------------------------------------------------------------


def _declared_uses(env: Environment, preinstalled: frozenset[str]) -> Iterator[Hit]:
    provided = {group for app in env.applications for group in app.provides_apis}
    for consumer in env.applications:
        where = consumer.uses_locations or tuple(
            repeat(consumer.locate(()), len(consumer.uses_apis))
        )
        for group, location in zip(consumer.uses_apis, where, strict=True):
            if group not in provided and group not in preinstalled:
                missing = _missing(env, group, f"the CRDs of {group}")
                message = f"{consumer.app} uses {group}, but {missing}"
                yield Hit(location, message, consumer.app)


def _missing(env: Environment, group: str, crds: str) -> str:
    """That no app of the environment installs ``crds``, and how to fix it."""
    sources = env.api_sources.get(group, ())
    if sources:
        operator = f"add {_either(sources)} (which provides {group}) to {env.name}"
    else:
        operator = f"add the app of the operator that provides {group} to {env.name}"
    return (
        f"no app of {env.name} installs {crds}: {operator}, or declare {group} in preinstalledApis"
    )


def _either(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# -- the objects ----------------------------------------------------------------------------------


class Use(NamedTuple):
    """A custom resource among the objects: its document, API group, version and kind."""

    document: Document
    group: str
    version: str
    kind: str


def _object_uses(env: Environment, preinstalled: frozenset[str]) -> Iterator[Hit]:
    apps = {app.app: app for app in env.sync_plan}
    builtin = _builtin_groups(env)
    reported: set[tuple[str | None, str, str, str]] = set()
    for use in _custom_resources(env.documents, builtin):
        if use.group in preinstalled:
            continue
        found = _problem(env, apps, use)
        if found is None:
            continue
        key = (use.document.app, use.group, use.kind, found)
        if key in reported:
            continue
        reported.add(key)
        location = use.document.locate(API_VERSION_PATH)
        yield Hit(location, f"{use.document.name}: {found}", use.document.app)


def _builtin_groups(env: Environment) -> frozenset[str]:
    if env.schemas is not None:
        return env.schemas.builtin_api_groups
    return KubeSchemas(supported_versions()[-1]).api_groups


def _custom_resources(documents: Sequence[Document], builtin: frozenset[str]) -> Iterator[Use]:
    for document in documents:
        api_version, kind = document.api_version, document.kind
        if not api_version or not kind or "/" not in api_version:
            continue
        group, version = api_version.rsplit("/", 1)
        if group not in builtin:
            yield Use(document, group, version, kind)


def _problem(env: Environment, apps: Mapping[str, Application], use: Use) -> str | None:
    """Why the cluster would not serve the object when its app syncs; None when it would."""
    consumer = apps.get(use.document.app or "")
    declared_use = consumer is not None and use.group in consumer.uses_apis
    defined = [k for k in env.defined_kinds if (k.group, k.kind) == (use.group, use.kind)]
    serving = [k for k in defined if use.version in k.served]
    if defined and not serving:
        return _not_served(use, defined)
    declared = [app for app in env.sync_plan if use.group in app.provides_apis]
    providers = [k.app for k in serving] + [app.app for app in declared]
    if not providers:
        crd = f"the CRD of {use.kind} ({use.group})"
        return None if declared_use else _missing(env, use.group, crd)
    if consumer is None or any(_in_time(apps, provider, consumer) for provider in providers):
        return None
    if declared_use and declared:
        return None  # sync-order reports the declared provider synced too late
    return _too_late(apps, consumer, use, providers)


def _not_served(use: Use, defined: Sequence[DefinedKind]) -> str:
    crd = defined[0]
    served = ", ".join(crd.served) or "none"
    installer = f" (installed by {crd.app})" if crd.app else ""
    return (
        f"{use.kind} {use.group}/{use.version} is not a version {crd.name}{installer} serves "
        f"(it serves {served}): use a served version"
    )


def _in_time(apps: Mapping[str, Application], provider: str | None, consumer: Application) -> bool:
    """The provider's CRDs exist when the consumer syncs: the same app (Argo CD applies CRDs
    first within a sync), an earlier wave, or a wave that is not known (left to the schema)."""
    if provider is None or provider == consumer.app or provider not in apps:
        return True
    wave = apps[provider].wave
    return wave is None or consumer.wave is None or wave < consumer.wave


def _too_late(
    apps: Mapping[str, Application],
    consumer: Application,
    use: Use,
    providers: Sequence[str | None],
) -> str:
    """The earliest provider, named with its wave (every one syncs no earlier than the user)."""
    known = sorted({p for p in providers if p is not None}, key=lambda p: (apps[p].wave or 0, p))
    provider = apps[known[0]]
    return (
        f"{consumer.app} (wave {consumer.wave}) uses {use.kind} ({use.group}), whose CRD "
        f"{provider.app} installs in wave {provider.wave}: give {consumer.app} a later syncWave "
        f"than {provider.app}"
    )
