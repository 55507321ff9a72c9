"""api-validation: what the API server refuses beyond the schema, on written manifests and on
the example repository's sources. Every expected line is the line of the field to change."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from gitopsctl.render.helm import find_helm
from gitopsctl.rules import api_validation as rule
from gitopsctl.subjects.manifests import manifest_subjects, objects
from tests.conftest import run_cli
from tests.support import (
    ENVS,
    PROJECT,
    Outcome,
    copy_example,
    development_environment,
    edit,
    line_of,
    outcomes,
    rerender,
    rule_findings,
)

FILE = "manifests.yaml"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: retool
spec:
  selector:
    matchLabels:
      app: retool
  template:
    metadata:
      labels:
        app: retool
    spec:
"""
NAMED = """\
apiVersion: {api_version}
kind: {kind}
metadata:
  name: {name}
"""
CPU_OVER = (
    'container "retool": resources.requests.cpu: Invalid value: "6": must be less than or equal'
    " to cpu limit of 4096m"
)
EFFECTS = 'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
# (text on the expected line, message without the object's name)
Expected = list[tuple[str, str]]


def pod_spec(spec: str) -> str:
    """A Deployment named retool whose pod spec is ``spec`` (written without indentation)."""
    return DEPLOYMENT + textwrap.indent(textwrap.dedent(spec), " " * 6)


def hits(text: str) -> list[tuple[str, int, str]]:
    """The rule's hits on a manifest stream, by line (the validator sorts findings so too)."""
    env = manifest_subjects(objects(text, FILE), development_environment())
    return sorted(
        (hit.location.file, hit.location.line, hit.message) for hit in rule.check(env, {})
    )


def expected_hits(text: str, name: str, expected: Expected) -> list[tuple[str, int, str]]:
    lines = text.splitlines()
    found = []
    for marker, message in expected:
        numbers = [number for number, line in enumerate(lines, 1) if marker in line]
        assert len(numbers) == 1, f"{marker!r} is on lines {numbers}"
        found.append((FILE, numbers[0], f"{name}: {message}" if name else message))
    return sorted(found)


CONTAINER_CASES = [
    pytest.param(
        """\
        containers:
          - name: retool
            imagePullPolicy: IfNotPresent
            ports:
              - {name: http, containerPort: 3000, protocol: TCP}
              - {name: metrics-9090, containerPort: 9090, protocol: SCTP}
            resources:
              requests: {cpu: 1000m, memory: 12Gi, nvidia.com/gpu: 1}
              limits: {cpu: "1", memory: 14Gi, nvidia.com/gpu: "1"}
        """,
        [],
        id="valid-container-PASSED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            resources:
              requests:
                cpu: "6"
              limits:
                cpu: 4096m
        """,
        [('cpu: "6"', CPU_OVER)],
        id="request-over-limit-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            resources:
              requests:
                cpu: 2
                memory: 0.5
              limits:
                cpu: 2.5
                memory: 1
        """,
        [],
        id="quantities-as-yaml-numbers-PASSED",
    ),
    pytest.param(
        """\
        initContainers:
          - name: migrate
            resources:
              requests:
                memory: 2Gi
              limits:
                memory: 1Gi
        containers:
          - name: retool
        """,
        [
            (
                "memory: 2Gi",
                'init container "migrate": resources.requests.memory: Invalid value: "2Gi": must'
                " be less than or equal to memory limit of 1Gi",
            )
        ],
        id="init-container-request-over-limit-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            resources:
              requests:
                memory: 512MB
              limits:
                cpu: 1K
                ephemeral-storage: -1Gi
        """,
        [
            (
                "memory: 512MB",
                'container "retool": resources.requests.memory: Invalid value: "512MB":'
                " quantities must match the regular expression"
                " '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ),
            (
                "cpu: 1K",
                'container "retool": resources.limits.cpu: Invalid value: "1K": unable to parse'
                " quantity's suffix",
            ),
            (
                "ephemeral-storage: -1Gi",
                'container "retool": resources.limits.ephemeral-storage: Invalid value: "-1Gi":'
                " must be greater than or equal to 0",
            ),
        ],
        id="quantities-that-do-not-parse-or-are-negative-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: trainer
            resources:
              requests:
                nvidia.com/gpu: 1
              limits:
                nvidia.com/gpu: 2
        """,
        [
            (
                "nvidia.com/gpu: 1",
                'container "trainer": resources.requests.nvidia.com/gpu: Invalid value: "1": must'
                " be equal to nvidia.com/gpu limit of 2",
            )
        ],
        id="extended-resource-request-below-limit-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            imagePullPolicy: always
        """,
        [
            (
                "imagePullPolicy: always",
                'container "retool": imagePullPolicy: Unsupported value: "always": supported'
                ' values: "Always", "IfNotPresent", "Never"',
            )
        ],
        id="image-pull-policy-lower-case-FAILED",
    ),
    pytest.param(
        """\
        initContainers:
          - name: proxy
            restartPolicy: Always
        containers:
          - name: retool
        """,
        [],
        id="sidecar-init-container-PASSED",
    ),
    pytest.param(
        """\
        initContainers:
          - name: migrate
            restartPolicy: Never
        containers:
          - name: retool
            restartPolicy: Always
        """,
        [
            (
                "restartPolicy: Never",
                'init container "migrate": restartPolicy: Unsupported value: "Never": supported'
                ' values: "Always"',
            ),
            (
                "restartPolicy: Always",
                'container "retool": restartPolicy: Forbidden: may not be set for non-init'
                " containers",
            ),
        ],
        id="container-restart-policies-FAILED",
    ),
    pytest.param(
        """\
        restartPolicy: OnFailure
        containers:
          - name: retool
        """,
        [
            (
                "restartPolicy: OnFailure",
                'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported'
                ' values: "Always"',
            )
        ],
        id="deployment-restart-policy-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            ports:
              - {name: http, containerPort: 3000, protocol: tcp}
        """,
        [
            (
                "protocol: tcp",
                'container "retool": ports[0].protocol: Unsupported value: "tcp": supported'
                ' values: "TCP", "UDP", "SCTP"',
            )
        ],
        id="protocol-lower-case-FAILED",
    ),
    pytest.param(
        """\
        tolerations:
          - {key: workload-type, operator: Equal, value: large, effect: NoSchedule}
          - {key: spot, operator: Exists}
        containers:
          - name: retool
        """,
        [],
        id="toleration-kubernetes-spelling-PASSED",
    ),
    pytest.param(
        """\
        tolerations:
          - key: workload-type
            operator: Equal
            value: large
            effect: NO_SCHEDULE
        containers:
          - name: retool
        """,
        [
            (
                "effect: NO_SCHEDULE",
                'spec.template.spec.tolerations[0].effect: Unsupported value: "NO_SCHEDULE": '
                f"{EFFECTS} (NO_SCHEDULE is the EKS node group spelling; a pod's toleration"
                " says NoSchedule)",
            )
        ],
        id="toleration-eks-spelling-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            ports:
              - {name: http, containerPort: 3000}
          - name: sidecar
            ports:
              - {name: http, containerPort: 3001}
              - {containerPort: 80, hostPort: 80}
              - {containerPort: 81, hostPort: 80, protocol: UDP}
        """,
        [],
        id="port-names-unique-per-container-host-port-per-protocol-PASSED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            ports:
              - {name: web, containerPort: 3000, hostPort: 8080}
          - name: retool  # second
            ports:
              - {name: web, containerPort: 3001}
              - {name: web, containerPort: 3002, hostPort: 8080}
        """,
        [
            ("# second", 'container "retool": name: Duplicate value: "retool"'),
            (
                "containerPort: 3002",
                'container "retool": ports[1].name: Duplicate value: "web"',
            ),
            (
                "containerPort: 3002",
                'container "retool": ports[1].hostPort: Duplicate value: "TCP//8080"',
            ),
        ],
        id="duplicate-container-port-and-host-port-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
        initContainers:
          - name: retool  # init
        ephemeralContainers:
          - name: debugger
          - name: debugger  # again
          - name: retool  # ephemeral
        """,
        [
            ("# init", 'init container "retool": name: Duplicate value: "retool"'),
            ("# again", 'ephemeral container "debugger": name: Duplicate value: "debugger"'),
            ("# ephemeral", 'ephemeral container "retool": name: Duplicate value: "retool"'),
        ],
        id="duplicate-names-across-container-lists-FAILED",
    ),
    pytest.param(
        """\
        containers:
          - name: retool
            ports:
              - {name: http-retool-backend, containerPort: 3000}
              - {name: "8080", containerPort: 8080}
              - {name: web--ui, containerPort: 8081}
              - {name: -web, containerPort: 8082}
              - {name: Web, containerPort: 8083}
        """,
        [
            (
                "http-retool-backend",
                'container "retool": ports[0].name: Invalid value: "http-retool-backend": must be'
                " no more than 15 characters",
            ),
            (
                '"8080"',
                'container "retool": ports[1].name: Invalid value: "8080": must contain at least'
                " one letter (a-z)",
            ),
            (
                "web--ui",
                'container "retool": ports[2].name: Invalid value: "web--ui": must not contain'
                " consecutive hyphens",
            ),
            (
                "-web",
                'container "retool": ports[3].name: Invalid value: "-web": must not begin or end'
                " with a hyphen",
            ),
            (
                "Web",
                'container "retool": ports[4].name: Invalid value: "Web": must contain only'
                " alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            ),
        ],
        id="port-names-not-iana-service-names-FAILED",
    ),
]


@pytest.mark.parametrize(("spec", "expected"), CONTAINER_CASES)
def test_pod_spec(spec: str, expected: Expected) -> None:
    text = pod_spec(spec)
    assert hits(text) == expected_hits(text, "Deployment/retool", expected)


def workload(kind: str, api_version: str, selector: str, labels: str, spec: str = "") -> str:
    """A workload named retool with this selector, template labels and pod spec lines."""
    pod = spec or "containers: [{name: retool}]"
    return (
        f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: retool\nspec:\n"
        f"  selector: {selector}\n  template:\n    metadata:\n      labels: {labels}\n"
        f"    spec:\n      {pod}\n"
    )


NOT_SELECTED = "`selector` does not match template `labels`"
OBJECT_CASES = [
    pytest.param(
        workload(
            "StatefulSet",
            "apps/v1",
            "{matchLabels: {app: retool}, matchExpressions: [{key: tier, operator: NotIn,"
            " values: [batch]}, {key: app, operator: Exists}, {key: old, operator: DoesNotExist},"
            " {key: app, operator: In, values: [retool, other]}]}",
            "{app: retool, tier: web}",
        ),
        [],
        id="selector-selects-template-PASSED",
    ),
    pytest.param(
        workload("Deployment", "apps/v1", "{matchLabels: {app: retool}}", "{app: backend}"),
        [
            (
                "labels: {app: backend}",
                "Deployment/retool: spec.template.metadata.labels: Invalid value: {app=backend}: "
                + NOT_SELECTED,
            )
        ],
        id="match-labels-miss-template-FAILED",
    ),
    pytest.param(
        workload(
            "DaemonSet",
            "apps/v1",
            "{matchExpressions: [{key: tier, operator: NotIn, values: [web]}]}",
            "{app: retool, tier: web}",
        ),
        [
            (
                "labels: {app: retool, tier: web}",
                "DaemonSet/retool: spec.template.metadata.labels: Invalid value: {app=retool,"
                f" tier=web}}: {NOT_SELECTED}",
            )
        ],
        id="match-expression-excludes-template-FAILED",
    ),
    pytest.param(
        workload("ReplicaSet", "apps/v1", "{}", "{app: retool}"),
        [
            (
                "selector: {}",
                "ReplicaSet/retool: spec.selector: Invalid value: {}: empty selector is invalid"
                " for deployment",
            )
        ],
        id="empty-selector-FAILED",
    ),
    pytest.param(
        workload(
            "Job",
            "batch/v1",
            "{matchLabels: {job: migrate}}",
            "{job: migrate}",
            "restartPolicy: OnFailure\n      containers: [{name: migrate}]",
        ),
        [],
        id="job-selector-and-restart-policy-PASSED",
    ),
    pytest.param(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n"
        "    spec:\n      containers: [{name: migrate}]\n",
        [
            (
                "    spec:",
                "Job/migrate: spec.template.spec.restartPolicy: Required value: valid values:"
                ' "OnFailure", "Never"',
            )
        ],
        id="job-without-restart-policy-FAILED",
    ),
    pytest.param(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n"
        "  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          restartPolicy: Always\n          containers: [{name: backup}]\n",
        [
            (
                "restartPolicy: Always",
                "CronJob/backup: spec.jobTemplate.spec.template.spec.restartPolicy: Required"
                ' value: valid values: "OnFailure", "Never"',
            )
        ],
        id="cron-job-restart-always-FAILED",
    ),
    pytest.param(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n"
        "  podFailurePolicy:\n    rules: [{action: FailJob, onExitCodes: {operator: In,"
        " values: [42]}}]\n  template:\n    spec:\n      restartPolicy: OnFailure\n"
        "      containers: [{name: migrate}]\n",
        [
            (
                "restartPolicy: OnFailure",
                'Job/migrate: spec.template.spec.restartPolicy: Invalid value: "OnFailure": only'
                ' "Never" is supported when podFailurePolicy is specified',
            )
        ],
        id="job-failure-policy-needs-never-FAILED",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  restartPolicy: Never\n"
        "  containers: [{name: debug, imagePullPolicy: Never}]\n",
        [],
        id="pod-restart-never-PASSED",
    ),
    pytest.param(
        NAMED.format(api_version="v1", kind="ConfigMap", name="retool.config-1")
        + "---\n"
        + NAMED.format(api_version="v1", kind="Service", name="retool-backend")
        + "---\n"
        + NAMED.format(api_version="v1", kind="Namespace", name="retool")
        + "---\n"
        + NAMED.format(
            api_version="rbac.authorization.k8s.io/v1",
            kind="ClusterRole",
            name="system:controller:retool",
        ),
        [],
        id="object-names-PASSED",
    ),
    pytest.param(
        NAMED.format(api_version="v1", kind="ConfigMap", name="Retool_Config")
        + "---\n"
        + NAMED.format(api_version="v1", kind="Service", name="1retool")
        + "---\n"
        + NAMED.format(api_version="v1", kind="Namespace", name="retool.tools")
        + "---\n"
        + NAMED.format(
            api_version="rbac.authorization.k8s.io/v1", kind="RoleBinding", name="retool/admin"
        ),
        [
            (
                "name: Retool_Config",
                'ConfigMap/Retool_Config: metadata.name: Invalid value: "Retool_Config": not a'
                " DNS-1123 subdomain: it has the character '_'",
            ),
            (
                "name: 1retool",
                'Service/1retool: metadata.name: Invalid value: "1retool": not a DNS-1035 label:'
                " it does not start with a letter",
            ),
            (
                "name: retool.tools",
                'Namespace/retool.tools: metadata.name: Invalid value: "retool.tools": not a'
                " DNS-1123 label: it has a '.' (a label is one part of a domain name)",
            ),
            (
                "name: retool/admin",
                'RoleBinding/retool/admin: metadata.name: Invalid value: "retool/admin": not a'
                " path segment name: it may not contain '/'",
            ),
        ],
        id="object-names-FAILED",
    ),
]


@pytest.mark.parametrize(("text", "expected"), OBJECT_CASES)
def test_object(text: str, expected: Expected) -> None:
    assert hits(text) == expected_hits(text, "", expected)


# --- the example repository: what the sources put into pods -------------------------------------

RETOOL = "sources/apps/retool.yaml"
MONITORING = "sources/apps/monitoring.yaml"
RETOOL_WORKLOAD = "workload 'backend' (Deployment)"


def in_every_env(app: str, file: str, line: int, message: str) -> list[Outcome]:
    return [(rule.ID, env, app, file, line, message) for env in ENVS]


def example_unchanged(repo: Path) -> list[Outcome]:
    return []


def retool_limit_below_request(repo: Path) -> list[Outcome]:
    edit(
        repo,
        RETOOL,
        '    limits:\n      cpu: "7"\n',
        "    limits:\n      cpu: 4096m\n",
    )
    rerender(repo)
    message = (
        f'{RETOOL_WORKLOAD}: resources.requests.cpu: Invalid value: "5": must be less than or'
        " equal to cpu limit of 4096m"
    )
    return in_every_env("retool", RETOOL, line_of(repo, RETOOL, 'cpu: "5"'), message)


def retool_memory_in_megabytes(repo: Path) -> list[Outcome]:
    edit(repo, RETOOL, "memory: 14Gi", "memory: 14GB")
    rerender(repo)
    message = (
        f'{RETOOL_WORKLOAD}: resources.limits.memory: Invalid value: "14GB": quantities must'
        " match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    return in_every_env("retool", RETOOL, line_of(repo, RETOOL, "memory: 14GB"), message)


def grafana_toleration_in_eks_spelling(repo: Path) -> list[Outcome]:
    toleration = (
        "  grafana:\n    admin:\n",
        "  grafana:\n    tolerations:\n      - key: workload-type\n        operator: Exists\n"
        "        effect: NO_EXECUTE\n    admin:\n",
    )
    edit(repo, MONITORING, *toleration)
    rerender(repo)
    message = (
        "workload 'grafana' (Deployment): grafana.tolerations[0].effect: Unsupported value:"
        f' "NO_EXECUTE": {EFFECTS} (NO_EXECUTE is the EKS node group spelling; a pod\'s'
        " toleration says NoExecute)"
    )
    line = line_of(repo, MONITORING, "effect: NO_EXECUTE")
    return in_every_env("monitoring", MONITORING, line, message)


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(example_unchanged, id="example-PASSED"),
        pytest.param(retool_limit_below_request, id="retool-request-over-source-limit-FAILED"),
        pytest.param(retool_memory_in_megabytes, id="retool-quantity-in-megabytes-FAILED"),
        pytest.param(grafana_toleration_in_eks_spelling, id="grafana-eks-toleration-FAILED"),
    ],
)
def test_example_repository(tmp_path: Path, fixture: Callable[[Path], list[Outcome]]) -> None:
    repo = copy_example(tmp_path)
    expected = fixture(repo)
    assert outcomes(rule_findings(rule, repo)) == sorted(
        expected, key=lambda o: (o[3], o[4], o[1] or "")
    )


# --- end to end: `validate --manifests` as a user runs it ---------------------------------------

RETOOL_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: retool
  namespace: retool
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: retool
  template:
    metadata:
      labels:
        app.kubernetes.io/name: retool
    spec:
      nodeSelector:
        workload-type: large
      tolerations:
        - key: workload-type
          operator: Equal
          value: large
          effect: {effect}
      containers:
        - name: retool
          image: tryretool/backend:3.148.0
          imagePullPolicy: {pull}
          resources:
            requests:
              cpu: "{cpu}"
              memory: 12Gi
            limits:
              cpu: 4096m
              memory: 14Gi
"""
CLEAN = {"effect": "NoSchedule", "pull": "IfNotPresent", "cpu": "2"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(CLEAN, [], id="retool-as-the-api-server-takes-it-PASSED"),
        pytest.param(
            {"effect": "NO_SCHEDULE", "pull": "always", "cpu": "6"},
            [
                (
                    22,
                    11,
                    "Deployment/retool/retool: spec.template.spec.tolerations[0].effect:"
                    ' Unsupported value: "NO_SCHEDULE": '
                    f"{EFFECTS} (NO_SCHEDULE is the EKS node group spelling; a pod's toleration"
                    " says NoSchedule)",
                ),
                (
                    26,
                    11,
                    'Deployment/retool/retool: container "retool": imagePullPolicy: Unsupported'
                    ' value: "always": supported values: "Always", "IfNotPresent", "Never"',
                ),
                (29, 15, f"Deployment/retool/retool: {CPU_OVER}"),
            ],
            id="retool-as-the-api-server-refuses-it-FAILED",
        ),
    ],
)
def test_validate_manifests(
    example_repo: Path, values: dict[str, str], expected: list[tuple[int, int, str]]
) -> None:
    (example_repo / "retool.yaml").write_text(RETOOL_MANIFEST.format(**values), encoding="utf-8")

    result = run_cli(example_repo, "validate", "--manifests", "retool.yaml", cwd=example_repo)

    lines = [
        f"retool.yaml:{line}:{column}: error api-validation: {message}"
        for line, column, message in expected
    ]
    summary = f"{len(lines)} errors, 0 warnings, 0 excepted" if lines else "no findings"
    assert (result.returncode, result.stderr) == (1 if lines else 0, "")
    assert result.stdout == "".join(f"{line}\n" for line in lines) + summary + "\n"


# --- end to end: `validate --helm`, where Helm merges the chart's defaults with the values ------

WORKER_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: worker\nversion: 0.1.0\n",
    "values.yaml": "resources:\n  limits:\n    cpu: 4096m\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
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
          image: busybox:1.36
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
""",
}
WORKER_SOURCE = """\
description: worker
chart:
  path: charts/worker
namespace: edge
values:
  resources:
    requests:
      cpu: "{cpu}"
    limits:
      memory: 1Gi
"""


@pytest.mark.parametrize(
    ("cpu", "expected"),
    [
        pytest.param("2", [], id="request-within-chart-limit-PASSED"),
        pytest.param(
            "6",
            [
                (  # the request the sources set, merged with the chart's default limit
                    "sources/apps/worker.yaml",
                    8,
                    'Deployment/edge/worker: container "worker": resources.requests.cpu: Invalid'
                    ' value: "6": must be less than or equal to cpu limit of 4096m',
                )
            ],
            id="request-over-chart-default-limit-FAILED",
        ),
    ],
)
def test_validate_helm_sees_the_merged_values(
    tmp_path: Path, cpu: str, expected: list[tuple[str, int, str]]
) -> None:
    repo = copy_example(tmp_path / "repo")
    for name, text in WORKER_CHART.items():
        (repo / "charts" / "worker" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "charts" / "worker" / name).write_text(text, encoding="utf-8")
    source = repo / "sources" / "apps" / "worker.yaml"
    source.write_text(WORKER_SOURCE.format(cpu=cpu), encoding="utf-8")
    with (repo / "sources" / "environments" / "prod.yaml").open("a", encoding="utf-8") as env:
        env.write("  worker:\n")
    rerender(repo)
    helm = f"{find_helm(PROJECT).parent}{os.pathsep}{os.environ['PATH']}"

    result = run_cli(
        repo, "validate", "--helm", "--env", "prod", "--format", "json", env={"PATH": helm}
    )

    findings = json.loads(result.stdout)["findings"]
    found = [(f["file"], f["line"], f["message"]) for f in findings if f["rule"] == rule.ID]
    assert (found, result.stderr) == (expected, "")
