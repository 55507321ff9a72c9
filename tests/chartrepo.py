"""A real Helm chart repository on 127.0.0.1: tiny charts packaged with `helm package`, indexed
with `helm repo index`, served over HTTP; and the example repository pointed at it."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support import copy_example, edit, rerender

# The example's upstream pins: app -> (repository, chart, version).
PINS = {
    "argocd": ("https://argoproj.github.io/argo-helm", "argo-cd", "8.1.3"),
    "cert-manager": ("https://charts.jetstack.io", "cert-manager", "v1.18.2"),
    "cloudnative-pg": ("https://cloudnative-pg.github.io/charts", "cloudnative-pg", "0.26.0"),
    "external-secrets": ("https://charts.external-secrets.io", "external-secrets", "2.9.0"),
    "keycloak": ("https://codecentric.github.io/helm-charts", "keycloakx", "7.1.11"),
    "monitoring": (
        "https://prometheus-community.github.io/helm-charts",
        "kube-prometheus-stack",
        "77.5.0",
    ),
    "retool": ("https://charts.retool.com", "retool", "6.6.0"),
    "traefik-ingress": ("https://traefik.github.io/charts", "traefik", "37.1.1"),
}
# Further versions the loopback repository offers (the missing-version cases name them).
MORE_VERSIONS = {"retool": ("6.4.13", "6.5.0", "6.7.0", "7.0.0-rc.1")}
CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  chart: {{ .Chart.Name }}-{{ .Chart.Version }}
"""


def helm_env(home: Path) -> dict[str, str]:
    """The pinned helm first on PATH (`make setup` puts it beside the venv's python), and Helm's
    own cache, configuration and data, and the user cache directory, inside the test's folder."""
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HELM_CACHE_HOME": str(home / "helm-cache"),
        "HELM_CONFIG_HOME": str(home / "helm-config"),
        "HELM_DATA_HOME": str(home / "helm-data"),
        "XDG_CACHE_HOME": str(home / "user-cache"),
    }


def helm(*args: str, env: Mapping[str, str]) -> None:
    subprocess.run(["helm", *args], env={**os.environ, **env}, check=True, capture_output=True)


def package_charts(folder: Path, env: Mapping[str, str]) -> Path:
    """Every pinned chart (and the further versions) packaged and indexed in ``folder``/repo."""
    served = folder / "repo"
    served.mkdir(parents=True)
    for app, (_, name, version) in PINS.items():
        for each in (version, *MORE_VERSIONS.get(app, ())):
            chart = folder / "src" / f"{name}-{each}"
            (chart / "templates").mkdir(parents=True)
            meta = f"apiVersion: v2\nname: {name}\nversion: {each}\n"
            (chart / "Chart.yaml").write_text(meta, encoding="utf-8")
            (chart / "templates" / "configmap.yaml").write_text(CONFIG_MAP, encoding="utf-8")
            helm("package", str(chart), "--destination", str(served), env=env)
    helm("repo", "index", str(served), env=env)
    return served


def sha256(path: Path) -> str:
    return f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request log on stderr."""


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` served on a free port of 127.0.0.1 while the block runs; its URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def example_on(url: str, target: Path) -> Path:
    """The example repository with every upstream app's chart served from ``url``."""
    repo = copy_example(target)
    for app, (public, _, _) in PINS.items():
        edit(repo, f"sources/apps/{app}.yaml", f"repo: {public}\n", f"repo: {url}\n")
    rerender(repo)
    return repo
