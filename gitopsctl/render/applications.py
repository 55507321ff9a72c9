"""Argo CD objects for one environment: the app-of-apps root, the AppProject and each child."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gitopsctl.kube.names import SYNC_WAVE
from gitopsctl.sources.model import ChartRef, EnvironmentDef, Platform

API_VERSION = "argoproj.io/v1alpha1"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
IN_CLUSTER = "https://kubernetes.default.svc"
LABEL_ENVIRONMENT = "gitopsctl/environment"
LABEL_APP = "gitopsctl/app"
ROOT_FILE = "root.yaml"
PROJECT_FILE = "project.yaml"


def application_name(env: str, name: str) -> str:
    return f"{env}-{name}"


def values_file(env: str, name: str) -> str:
    return f"rendered/{env}/{name}/values.yaml"


def child_application(
    platform: Platform,
    env: EnvironmentDef,
    name: str,
    chart: ChartRef,
    namespace: str,
    wave: int,
) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": _metadata(platform, env.name, application_name(env.name, name), name, wave),
        "spec": {
            "project": platform.argocd_project,
            "destination": {**_cluster(env), "namespace": namespace},
            "sources": [_chart_source(platform, env.name, name, chart), _values_ref(platform)],
            "syncPolicy": _sync_policy(),
        },
    }


def root_application(platform: Platform, env: EnvironmentDef) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": _metadata(platform, env.name, application_name(env.name, "root"), None, None),
        "spec": {
            "project": "default",
            "destination": {"server": IN_CLUSTER, "namespace": platform.argocd_namespace},
            "source": {
                "repoURL": platform.repo_url,
                "targetRevision": platform.revision,
                "path": f"applications/{env.name}",
                "directory": {"recurse": False, "exclude": ROOT_FILE},
            },
            "syncPolicy": _sync_policy(),
        },
    }


def app_project(
    platform: Platform, env: EnvironmentDef, chart_repos: Iterable[str]
) -> dict[str, Any]:
    metadata = _metadata(platform, env.name, platform.argocd_project, None, -1)
    del metadata["finalizers"]
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": metadata,
        "spec": {
            "description": f"The platform stack of the {env.name} environment",
            "sourceRepos": sorted({platform.repo_url, *chart_repos}),
            "destinations": [{**_cluster(env), "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def _metadata(
    platform: Platform, env: str, name: str, app: str | None, wave: int | None
) -> dict[str, Any]:
    labels = {LABEL_ENVIRONMENT: env}
    if app is not None:
        labels[LABEL_APP] = app
    metadata: dict[str, Any] = {"name": name, "namespace": platform.argocd_namespace}
    if wave is not None:
        metadata["annotations"] = {SYNC_WAVE: str(wave)}
    metadata["labels"] = labels
    metadata["finalizers"] = [FINALIZER]
    return metadata


def _cluster(env: EnvironmentDef) -> dict[str, str]:
    if env.cluster_server is not None:
        return {"server": env.cluster_server}
    return {"name": str(env.cluster_name)}


def _chart_source(platform: Platform, env: str, name: str, chart: ChartRef) -> dict[str, Any]:
    helm = {"releaseName": name, "valueFiles": [f"$values/{values_file(env, name)}"]}
    if chart.local:
        return {
            "repoURL": platform.repo_url,
            "targetRevision": platform.revision,
            "path": chart.path,
            "helm": helm,
        }
    return {
        "repoURL": chart.repo,
        "chart": chart.name,
        "targetRevision": chart.version,
        "helm": helm,
    }


def _values_ref(platform: Platform) -> dict[str, Any]:
    return {"repoURL": platform.repo_url, "targetRevision": platform.revision, "ref": "values"}


def _sync_policy() -> dict[str, Any]:
    return {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
        "retry": {
            "limit": 5,
            "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
        },
    }
