"""An Application must sync in a later wave than the Applications it depends on.

Argo CD syncs the children of an app-of-apps root wave by wave, and the Applications of one wave
together. An app synced in the same or an earlier wave than one it depends on starts before its
dependency is healthy; a CRD consumer (a ClusterIssuer, a CloudNativePG Cluster) synced no later
than the operator that provides its API group fails outright, because the CRD does not exist yet.
API consumers are checked against every provider of the group in the environment, whether or not
the dependency is declared. An Application whose sync-wave annotation is not an integer is left to
the schema check. A used group that no app of the environment provides at all is the `crd-provider`
rule's finding (as is a custom resource among Helm's objects whose app does not declare the group
in `apis.uses`): this rule reports only the order of a declared use and a declared provider.

Passing (cluster-issuer uses cert-manager.io, which cert-manager provides one wave earlier):

    # applications/prod/cert-manager.yaml
    metadata:
      annotations:
        argocd.argoproj.io/sync-wave: '1'
    # applications/prod/cluster-issuer.yaml
    metadata:
      annotations:
        argocd.argoproj.io/sync-wave: '2'

Failing (both in wave 1: the ClusterIssuer is applied before its CRD exists):

    # applications/prod/cert-manager.yaml
    metadata:
      annotations:
        argocd.argoproj.io/sync-wave: '1'
    # applications/prod/cluster-issuer.yaml
    metadata:
      annotations:
        argocd.argoproj.io/sync-wave: '1'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from gitopsctl.findings import Severity
from gitopsctl.kube.names import SYNC_WAVE
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Application, Environment

ID = "sync-order"
SEVERITY = Severity.ERROR

WAVE_PATH = ("metadata", "annotations", SYNC_WAVE)


class Prerequisite(NamedTuple):
    """An Application that must sync before another, and the API group that requires it, if any."""

    application: Application
    api: str | None


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    by_app = {application.app: application for application in env.applications}
    for consumer in env.applications:
        for prerequisite in _prerequisites(consumer, env.applications, by_app):
            if _too_early(consumer, prerequisite.application):
                location = consumer.locate(WAVE_PATH)
                yield Hit(location, _message(consumer, prerequisite), consumer.app)


def _prerequisites(
    consumer: Application, applications: Sequence[Application], by_app: Mapping[str, Application]
) -> Iterator[Prerequisite]:
    """Providers of the APIs it uses first, then declared dependencies not already named."""
    seen: set[str] = set()
    for api in consumer.uses_apis:
        for provider in applications:
            if api in provider.provides_apis and provider.app not in seen | {consumer.app}:
                seen.add(provider.app)
                yield Prerequisite(provider, api)
    for name in consumer.depends_on:
        dependency = by_app.get(name)
        if dependency is not None and name not in seen | {consumer.app}:
            seen.add(name)
            yield Prerequisite(dependency, None)


def _too_early(consumer: Application, prerequisite: Application) -> bool:
    if consumer.wave is None or prerequisite.wave is None:
        return False
    return consumer.wave <= prerequisite.wave


def _message(consumer: Application, prerequisite: Prerequisite) -> str:
    before = prerequisite.application
    if prerequisite.api is not None:
        relation = f"uses {prerequisite.api}, provided by"
    else:
        relation = "must sync after its dependency"
    return (
        f"{consumer.app} (wave {consumer.wave}) {relation} {before.app} (wave {before.wave}): "
        "give it a later syncWave"
    )
