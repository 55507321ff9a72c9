"""Names that Argo CD and CloudNativePG define, shared by the renderer and the rules."""

from __future__ import annotations

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
DATABASE_PORT = "5432"


def database_host(cluster: str, namespace: str) -> str:
    """The read-write service CloudNativePG creates for a cluster."""
    return f"{cluster}-rw.{namespace}.svc.cluster.local"
