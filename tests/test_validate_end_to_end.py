"""End-to-end: `validate` paths users take, through the real command, findings exact.

Manifests from a file or a folder, checked against an environment or against given node groups,
objects inside a `kind: List`, and the committed output missing a generated file or keeping one
no source renders any more.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from tests.conftest import PROJECT, run_cli
from tests.support import line_of

# (rule, severity, env, app, file, line, column, message)
Row = tuple[str, str, str | None, str | None, str, int, int, str]
KEYS = ("rule", "severity", "env", "app", "file", "line", "column", "message")
Expect = Callable[[Path], list[Row]]

# Selects the gpu nodes and tolerates their taint: the platform has no such group.
API = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      nodeSelector:
        workload-type: gpu
      tolerations:
        - key: workload-type
          operator: Equal
          value: gpu
          effect: NoSchedule
      containers:
        - name: api
          image: shop/api:1.0
"""
# No selector and no toleration: it fits any group without a NoSchedule or NoExecute taint.
WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      containers:
        - name: worker
          image: shop/worker:1.0
"""
# Tolerates the database nodes' taint without selecting them.
INTRUDER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      tolerations:
        - key: workload-type
          operator: Equal
          value: database
          effect: NoSchedule
      containers:
        - name: cache
          image: shop/cache:1.0
"""
NGINX_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.com
"""
TLS_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    cert-manager.io/cluster-issuer: {issuer}
spec:
  ingressClassName: traefik-ingress
  rules:
    - host: {host}
  tls:
    - hosts: [{host}]
      secretName: shop-tls
"""
NOT_YAML = "kind: Deployment\nthis is: [not yaml\n"

PLATFORM_GROUPS = (
    "workload: nodeSelector workload-type=gpu does not match (the group has no workload-type"
    " label); database: nodeSelector workload-type=gpu does not match (the group has"
    " workload-type=database), does not tolerate taint workload-type=database:NoSchedule;"
    " large: nodeSelector workload-type=gpu does not match (the group has workload-type=large),"
    " does not tolerate taint workload-type=large:NoSchedule"
)
API_FITS_NO_GROUP = (
    f"workload 'Deployment/shop/api' (Deployment) fits no node group: {PLATFORM_GROUPS}"
)
NGINX = "ingress 'Ingress/shop/web' uses class 'nginx', not the platform's 'traefik-ingress'"
INTRUSION = (
    "workload 'Deployment/shop/cache' (Deployment) tolerates taint"
    " workload-type=database:NoSchedule of the dedicated node group 'database' without selecting"
    " it, so it may take the nodes reserved there: select the group with nodeSelector"
    " workload-type=database or drop the toleration"
)
DRIFT_FIX = "run `make render` and commit the result"


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def validate(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`render.py --repo REPO validate ARGS...` from the repository, as a user runs it there."""
    return run_cli(repo, "validate", *args, cwd=repo)


def json_rows(result: subprocess.CompletedProcess[str]) -> list[Row]:
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return [cast(Row, tuple(finding[key] for key in KEYS)) for finding in findings]


def text_report(lines: list[str]) -> str:
    errors = f"{len(lines)} error{'' if len(lines) == 1 else 's'}"
    return "".join(f"{line}\n" for line in lines) + f"{errors}, 0 warnings, 0 excepted\n"


# -- --manifests FILE and --manifests DIR ---------------------------------------------------------

MANIFEST_FOLDER = {
    "manifests/api.yaml": API,
    "manifests/web.yaml": NGINX_INGRESS,
    "manifests/nested/cache.yml": INTRUDER,
    "manifests/notes.txt": NOT_YAML,
    "manifests/nested/README.txt": NOT_YAML,
}


def api_line(repo: Path) -> str:
    line = line_of(repo, "manifests/api.yaml", "      nodeSelector:")
    return f"manifests/api.yaml:{line}:7: error taint-toleration: {API_FITS_NO_GROUP}"


def web_line(repo: Path) -> str:
    line = line_of(repo, "manifests/web.yaml", "ingressClassName: nginx")
    return f"manifests/web.yaml:{line}:3: error ingress-class: {NGINX}"


def cache_line(repo: Path) -> str:
    line = line_of(repo, "manifests/nested/cache.yml", "      tolerations:")
    return f"manifests/nested/cache.yml:{line}:7: error dedicated-node-intrusion: {INTRUSION}"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("manifests/api.yaml", [api_line], id="file"),
        pytest.param("manifests/web.yaml", [web_line], id="another-file"),
        pytest.param(
            "manifests", [api_line, cache_line, web_line], id="folder-nested-and-txt-ignored"
        ),
        pytest.param("manifests/nested", [cache_line], id="nested-folder"),
    ],
)
def test_manifests_file_or_folder(
    example_repo: Path, target: str, expected: list[Callable[[Path], str]]
) -> None:
    write(example_repo, MANIFEST_FOLDER)

    result = validate(example_repo, "--manifests", target)

    lines = [finding_line(example_repo) for finding_line in expected]
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == text_report(lines)


def test_manifests_folder_without_yaml_is_unusable_unless_allowed(example_repo: Path) -> None:
    write(example_repo, {"manifests/notes.txt": NOT_YAML})

    result = validate(example_repo, "--manifests", "manifests")
    allowed = validate(example_repo, "--manifests", "manifests", "--allow-empty")

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: no Kubernetes objects read from manifests (pass --allow-empty if none is fine)\n",
    )
    assert (allowed.returncode, allowed.stdout, allowed.stderr) == (0, "no findings\n", "")


# -- --manifests FILE --env ENV: the environment's domain and issuer ------------------------------

DEV_HOST = "shop.dev.platform.example.com"
PROD_HOST = "shop.platform.example.com"
DEV_ISSUER = "selfsigned-cluster-issuer"
PROD_ISSUER = "letsencrypt-prod"
INGRESS_FILE = "manifests/ingress.yaml"
HOST_LINE = TLS_INGRESS.splitlines().index("    - host: {host}") + 1
ISSUER_LINE = TLS_INGRESS.splitlines().index("    cert-manager.io/cluster-issuer: {issuer}") + 1


def host_outside(env: str, domain: str) -> Row:
    message = f"ingress 'Ingress/shop/web' host {PROD_HOST!r} is outside the environment's domain"
    return ("ingress-host", "error", env, None, INGRESS_FILE, HOST_LINE, 7, f"{message} {domain!r}")


def other_issuer(env: str, issuer: str, expected: str) -> Row:
    message = (
        f"ingress 'Ingress/shop/web' names cluster issuer {issuer!r}, "
        f"not the environment's {expected!r}"
    )
    return ("ingress-issuer", "error", env, None, INGRESS_FILE, ISSUER_LINE, 5, message)


@pytest.mark.parametrize(
    ("host", "issuer", "env_args", "expected"),
    [
        pytest.param(DEV_HOST, DEV_ISSUER, ["--env", "dev"], [], id="dev-host-dev-issuer"),
        pytest.param(
            PROD_HOST,
            DEV_ISSUER,
            ["--env", "dev"],
            [host_outside("dev", "dev.platform.example.com")],
            id="host-outside-dev-domain",
        ),
        pytest.param(
            DEV_HOST,
            PROD_ISSUER,
            ["--env", "dev"],
            [other_issuer("dev", PROD_ISSUER, DEV_ISSUER)],
            id="prod-issuer-in-dev",
        ),
        pytest.param(
            PROD_HOST,
            PROD_ISSUER,
            ["--env", "dev"],
            [
                other_issuer("dev", PROD_ISSUER, DEV_ISSUER),
                host_outside("dev", "dev.platform.example.com"),
            ],
            id="prod-ingress-in-dev",
        ),
        pytest.param(PROD_HOST, PROD_ISSUER, ["--env", "prod"], [], id="prod-ingress-in-prod"),
        pytest.param(PROD_HOST, PROD_ISSUER, [], [], id="no-env-no-domain-or-issuer"),
    ],
)
def test_manifests_against_an_environment(
    example_repo: Path, host: str, issuer: str, env_args: list[str], expected: list[Row]
) -> None:
    write(example_repo, {INGRESS_FILE: TLS_INGRESS.format(host=host, issuer=issuer)})

    result = validate(example_repo, "--manifests", INGRESS_FILE, *env_args, "--format", "json")

    assert (result.returncode, result.stderr) == (1 if expected else 0, "")
    assert json_rows(result) == expected


# -- --node-groups FILE instead of the platform's node groups ------------------------------------

GPU_GROUPS = """\
nodeGroups:
  - name: gpu
    labels:
      workload-type: gpu
    taints:
      - key: workload-type
        value: gpu
        effect: {effect}
"""
WORKER_FITS_NO_GROUP = (
    "workload 'Deployment/shop/worker' (Deployment) fits no node group:"
    " gpu: does not tolerate taint workload-type=gpu:NoSchedule"
)


def api_misfit(repo: Path) -> list[Row]:
    line = line_of(repo, "workload.yaml", "      nodeSelector:")
    return [("taint-toleration", "error", None, None, "workload.yaml", line, 7, API_FITS_NO_GROUP)]


def worker_misfit(repo: Path) -> list[Row]:
    line = line_of(repo, "workload.yaml", "    spec:")
    return [
        ("taint-toleration", "error", None, None, "workload.yaml", line, 5, WORKER_FITS_NO_GROUP)
    ]


def fits(repo: Path) -> list[Row]:
    return []


@pytest.mark.parametrize(
    ("manifest", "effect", "expected"),
    [
        pytest.param(API, None, api_misfit, id="gpu-workload-platform-groups-FAILED"),
        pytest.param(API, "NO_SCHEDULE", fits, id="gpu-workload-gpu-group-PASSED"),
        pytest.param(WORKER, None, fits, id="plain-workload-platform-groups-PASSED"),
        pytest.param(WORKER, "NO_SCHEDULE", worker_misfit, id="plain-workload-eks-taint-FAILED"),
        pytest.param(WORKER, "NoSchedule", worker_misfit, id="plain-workload-k8s-taint-FAILED"),
        pytest.param(WORKER, "PREFER_NO_SCHEDULE", fits, id="plain-workload-eks-soft-taint-PASSED"),
    ],
)
def test_node_groups_file_decides_taint_toleration(
    example_repo: Path, manifest: str, effect: str | None, expected: Expect
) -> None:
    write(example_repo, {"workload.yaml": manifest})
    groups: list[str] = []
    if effect is not None:
        write(example_repo, {"groups.yaml": GPU_GROUPS.format(effect=effect)})
        groups = ["--node-groups", "groups.yaml"]

    result = validate(example_repo, "--manifests", "workload.yaml", *groups, "--format", "json")

    rows = expected(example_repo)
    assert (result.returncode, result.stderr) == (1 if rows else 0, "")
    assert json_rows(result) == rows


# -- kind: List --------------------------------------------------------------------------------

SETTINGS_ITEM = """\
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
      namespace: shop
    data:
      mode: fast
"""
GPU_ITEM = """\
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: shop
    spec:
      replicas: 2
      selector:
        matchLabels:
          app: api
      template:
        metadata:
          labels:
            app: api
        spec:
          nodeSelector:
            workload-type: gpu
          containers:
            - name: api
              image: shop/api:1.0
"""
LIST_HEAD = "apiVersion: v1\nkind: List\nitems:\n"


@pytest.mark.parametrize(
    "items",
    [
        pytest.param(SETTINGS_ITEM + GPU_ITEM, id="second-item"),
        pytest.param(GPU_ITEM + SETTINGS_ITEM, id="first-item"),
    ],
)
def test_list_finding_is_at_its_item_line(example_repo: Path, items: str) -> None:
    write(example_repo, {"list.yaml": LIST_HEAD + items})
    line = line_of(example_repo, "list.yaml", "nodeSelector:")

    result = validate(example_repo, "--manifests", "list.yaml", "--format", "json")

    assert (result.returncode, result.stderr) == (1, "")
    assert json_rows(result) == [
        ("taint-toleration", "error", None, None, "list.yaml", line, 11, API_FITS_NO_GROUP)
    ]


# -- render-drift: a generated file missing, or left behind --------------------------------------

RETOOL_VALUES = "rendered/dev/retool/values.yaml"
OLD_VALUES = "rendered/dev/oldapp/values.yaml"


def delete_retool_values(repo: Path) -> None:
    (repo / RETOOL_VALUES).unlink()


def leave_old_values(repo: Path) -> None:
    header = (PROJECT / RETOOL_VALUES).read_text(encoding="utf-8").splitlines()[0]
    assert header == "# Generated by render.py from:"
    write(repo, {OLD_VALUES: f"{header}\n#   sources/apps/oldapp.yaml\nreplicaCount: 1\n"})


MISSING_ROWS: list[Row] = [
    (
        "render-drift",
        "error",
        "dev",
        None,
        RETOOL_VALUES,
        1,
        1,
        f"{RETOOL_VALUES} is missing: {DRIFT_FIX}",
    ),
    (
        "app-of-apps",
        "error",
        "dev",
        "retool",
        "sources/apps/retool.yaml",
        1,
        1,
        f"value file $values/{RETOOL_VALUES} does not resolve: {RETOOL_VALUES} is not in the"
        " repository",
    ),
]
LEFT_BEHIND_ROWS: list[Row] = [
    (
        "app-of-apps",
        "error",
        "dev",
        None,
        OLD_VALUES,
        1,
        1,
        f"generated file {OLD_VALUES} is used by no Application (no valueFiles names it and the"
        " root does not sync it): run `make render`",
    ),
    (
        "render-drift",
        "error",
        "dev",
        None,
        OLD_VALUES,
        1,
        1,
        f"{OLD_VALUES} is generated but no source renders it any more: {DRIFT_FIX}",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(delete_retool_values, MISSING_ROWS, id="generated-file-missing"),
        pytest.param(leave_old_values, LEFT_BEHIND_ROWS, id="generated-file-left-behind"),
    ],
)
def test_render_drift_of_a_missing_or_left_behind_file(
    example_repo: Path, mutate: Callable[[Path], None], expected: list[Row]
) -> None:
    mutate(example_repo)

    result = validate(example_repo, "--env", "dev", "--format", "json")

    assert (result.returncode, result.stderr) == (1, "")
    assert [row for row in json_rows(result) if row[0] != "chart-lock"] == expected


# --- manifests outside a platform repository ---------------------------------------------------

OUTSIDE_NODE_GROUPS = """\
nodeGroups:
  - name: general
  - name: database
    labels: {dedicated: database}
    taints: [{key: dedicated, value: database, effect: NO_SCHEDULE}]
    instanceTypes: [r7g.large]
"""
OUTSIDE_MANIFESTS = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: shop-db, namespace: data}
spec:
  instances: 1
  postgresql: null
  storage: {size: 1Gi}
  affinity:
    nodeSelector: {dedicated: database, kubernetes.io/arch: arm64}
    tolerations: [{key: dedicated, operator: Equal, value: database, effect: NoSchedule}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      nodeSelector: {eks.amazonaws.com/nodegroup: general, topology.kubernetes.io/zone: us-east-1a}
      containers:
        - name: shop
          image: example.org/shop:1.0
          env:
            - {name: DB_HOST, value: shop-db-rw.data.svc.cluster.local}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
    - host: shop.example.org
"""
# `spec.postgresql: null`, as CloudNativePG's cluster chart renders it, is valid for the API server.
CNPG_CRD = PROJECT.parent / "shared" / "crds" / "postgresql.cnpg.io_clusters.yaml"


@pytest.mark.parametrize(
    ("options", "code", "stdout"),
    [
        pytest.param((), 0, "no findings\n", id="defaults-PASSED"),
        pytest.param(
            ("--ingress-class", "traefik", "--database-namespace", "database"),
            1,
            "manifests.yaml:3:27: error db-placement: database cluster 'shop-db' is in namespace"
            " 'data', not the database namespace 'database'\n"
            "manifests.yaml:25:31: error db-connection: database host"
            " 'shop-db-rw.data.svc.cluster.local' at DB_HOST is not the read-write service of"
            " 'shop-db': use 'shop-db-rw.database.svc.cluster.local' [Deployment/shop/shop]\n"
            "manifests.yaml:31:3: error ingress-class: ingress 'Ingress/shop/shop' uses class"
            " 'nginx', not the platform's 'traefik'\n"
            "3 errors, 0 warnings, 0 excepted\n",
            id="settings-from-options-FAILED",
        ),
    ],
)
def test_manifests_outside_a_platform_repository(
    tmp_path: Path, options: tuple[str, ...], code: int, stdout: str
) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    (tmp_path / "groups.yaml").write_text(OUTSIDE_NODE_GROUPS, encoding="utf-8")
    (tmp_path / "manifests.yaml").write_text(OUTSIDE_MANIFESTS, encoding="utf-8")
    arguments = ("--node-groups", "groups.yaml", "--crds", str(CNPG_CRD), *options)
    result = run_cli(repo, "validate", "--manifests", "manifests.yaml", *arguments, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (code, stdout, "")


def test_manifests_outside_a_platform_repository_need_node_groups(tmp_path: Path) -> None:
    (tmp_path / "manifests.yaml").write_text(OUTSIDE_MANIFESTS, encoding="utf-8")
    result = run_cli(tmp_path, "validate", "--manifests", "manifests.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: sources/platform.yaml: no platform file: outside a platform repository, give"
        " the node groups to check against with --node-groups FILE\n",
    )
