"""KubeSchemas gives kubernetes-validate's verdicts, with exact paths, from schemas compiled once.

Each corpus case names its outcome (PASSED, FAILED or NO-SCHEMA) and is checked against both
``kubernetes_validate.validate(obj, version, strict=True)`` and ``KubeSchemas(version).errors``.
"""

from __future__ import annotations

import copy
import datetime
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import jsonschema_rs
import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError, VersionNotSupportedError, all_versions
from packaging.version import Version
from ruamel.yaml import YAML

from gitopsctl.kube import kubeschema
from gitopsctl.kube.kubeschema import KubeSchemas, SchemaError, supported_versions
from gitopsctl.yaml import reader

Manifest = dict[str, Any]
Path = tuple[str | int, ...]

PASSED, FAILED, NO_SCHEMA = "PASSED", "FAILED", "NO-SCHEMA"
AGREEMENT_VERSIONS = ["1.25", "1.31", "1.37"]
CONTAINERS: Path = ("spec", "template", "spec", "containers")


def _pod_template(**pod_spec: Any) -> Manifest:
    container = {
        "name": "web",
        "image": "registry.example.com/shop/web:1.4.2",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "prod"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1}},
    }
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [container], **pod_spec},
    }


def _deployment() -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": _pod_template(),
        },
    }


def _statefulset() -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "web"}},
            "template": _pod_template(),
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "fast",
                        "resources": {"requests": {"storage": "10Gi"}},
                    },
                }
            ],
        },
    }


def _daemonset() -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": _pod_template(
                tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
            ),
        },
    }


def _service() -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def _ingress() -> Manifest:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}],
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ],
        },
    }


def _configmap() -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web-config", "annotations": {"owner": "shop"}},
        "data": {"MODE": "prod", "app.yaml": "port: 8080\n"},
    }


def _secret() -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "web-secret"},
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"user": "admin"},
    }


def _namespace() -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}


def _job() -> Manifest:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {"backoffLimit": 2, "template": _pod_template(restartPolicy="Never")},
    }


def _cronjob() -> Manifest:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 3 * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": _pod_template(restartPolicy="OnFailure")}},
        },
    }


def _set(manifest: Manifest, path: Path, value: Any) -> Manifest:
    """A copy of ``manifest`` with the value at ``path`` replaced (or added)."""
    changed = copy.deepcopy(manifest)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return changed


def _drop(manifest: Manifest, path: Path) -> Manifest:
    changed = copy.deepcopy(manifest)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return changed


def _round_trip(text: str) -> Manifest:
    """A manifest as ruamel.yaml's round-trip loader builds it: nodes and scalar subclasses."""
    loaded: Manifest = YAML(typ="rt").load(text)
    return loaded


RUAMEL_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: &name web
  labels: {app: *name}
spec:
  replicas: 0x3
  revisionHistoryLimit: 1_0
  selector:
    matchLabels: {app: *name}
  template:
    metadata:
      labels: {app: *name}
    spec:
      containers:
        - name: *name
          image: 'registry.example.com/shop/web:1.4.2'
          args: [--port=8080]
          command:
            - |
              exec web
          resources: {limits: {cpu: 0.5}}
"""

RUAMEL_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  annotations:
    deployed: 2024-01-01
data:
  MODE: "prod"
"""

BLOCK_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    spec:
      containers:
        - name: web
          resources:
            limits:
              cpu: {cpu}
"""

BLOCK_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  {key}: value
"""


def _read(text: str) -> Manifest:
    document: Manifest = reader.parse(text, "corpus.yaml")
    return document


RUAMEL_NAN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: .nan
  selector: {matchLabels: {app: web}}
  template:
    spec:
      containers: [{name: web}]
"""

CORPUS: list[tuple[str, Manifest]] = [
    ("deployment-valid-PASSED", _deployment()),
    ("deployment-replicas-string-FAILED", _set(_deployment(), ("spec", "replicas"), "two")),
    ("deployment-replicas-null-PASSED", _set(_deployment(), ("spec", "replicas"), None)),
    ("deployment-replicas-integral-float-PASSED", _set(_deployment(), ("spec", "replicas"), 3.0)),
    ("deployment-replicas-fraction-FAILED", _set(_deployment(), ("spec", "replicas"), 2.5)),
    ("deployment-replicas-bool-FAILED", _set(_deployment(), ("spec", "replicas"), True)),
    ("deployment-unknown-top-level-field-FAILED", _set(_deployment(), ("specs",), {})),
    ("deployment-unknown-metadata-field-FAILED", _set(_deployment(), ("metadata", "label"), {})),
    (
        "deployment-unknown-container-field-FAILED",
        _set(_deployment(), (*CONTAINERS, 0, "imagePullPolicyy"), "Always"),
    ),
    (
        "deployment-unknown-port-field-FAILED",
        _set(_deployment(), (*CONTAINERS, 0, "ports", 0, "hostport"), 80),
    ),
    ("deployment-missing-selector-FAILED", _drop(_deployment(), ("spec", "selector"))),
    (
        "deployment-missing-containers-FAILED",
        _drop(_deployment(), ("spec", "template", "spec", "containers")),
    ),
    (
        "deployment-missing-container-name-FAILED",
        _drop(_deployment(), (*CONTAINERS, 0, "name")),
    ),
    ("deployment-spec-null-PASSED", _set(_deployment(), ("spec",), None)),
    (
        "deployment-maxsurge-int-PASSED",
        _set(_deployment(), ("spec", "strategy", "rollingUpdate", "maxSurge"), 1),
    ),
    (
        "deployment-maxsurge-float-FAILED",
        _set(_deployment(), ("spec", "strategy", "rollingUpdate", "maxSurge"), 1.5),
    ),
    # IntOrString is oneOf [string|null, integer|null]: null matches both branches.
    (
        "deployment-maxunavailable-null-FAILED",
        _set(_deployment(), ("spec", "strategy", "rollingUpdate", "maxUnavailable"), None),
    ),
    ("deployment-kind-lowercase-FAILED", _set(_deployment(), ("kind",), "deployment")),
    # The schema file name drops the group's domain, so this finds apps/v1 and fails its enum.
    ("deployment-foreign-group-FAILED", _set(_deployment(), ("apiVersion",), "apps.example/v1")),
    (
        "deployment-label-int-value-FAILED",
        _set(_deployment(), ("metadata", "labels", "tier"), 1),
    ),
    (
        "deployment-container-port-string-FAILED",
        _set(_deployment(), (*CONTAINERS, 0, "ports", 0, "containerPort"), "8080"),
    ),
    (
        "deployment-env-value-int-FAILED",
        _set(_deployment(), (*CONTAINERS, 0, "env", 0, "value"), 3),
    ),
    (
        "deployment-cpu-limit-number-PASSED",
        _set(_deployment(), (*CONTAINERS, 0, "resources", "limits", "cpu"), 0.5),
    ),
    (
        "deployment-containers-not-list-FAILED",
        _set(_deployment(), CONTAINERS, {"name": "web"}),
    ),
    ("statefulset-valid-PASSED", _statefulset()),
    (
        "statefulset-claim-storageclass-typo-FAILED",
        _set(
            _statefulset(),
            ("spec", "volumeClaimTemplates", 0, "spec", "storageClass"),
            "fast",
        ),
    ),
    # Kubernetes' OpenAPI carries no enums for these fields, so neither side rejects a bad value.
    (
        "statefulset-podmanagementpolicy-bad-enum-PASSED",
        _set(_statefulset(), ("spec", "podManagementPolicy"), "Sometimes"),
    ),
    ("daemonset-valid-PASSED", _daemonset()),
    ("daemonset-replicas-FAILED", _set(_daemonset(), ("spec", "replicas"), 2)),
    (
        "daemonset-tolerations-not-list-FAILED",
        _set(_daemonset(), ("spec", "template", "spec", "tolerations"), {"key": "gpu"}),
    ),
    ("service-valid-PASSED", _service()),
    ("service-targetport-int-PASSED", _set(_service(), ("spec", "ports", 0, "targetPort"), 8080)),
    (
        "service-targetport-float-FAILED",
        _set(_service(), ("spec", "ports", 0, "targetPort"), 80.5),
    ),
    ("service-port-string-FAILED", _set(_service(), ("spec", "ports", 0, "port"), "80")),
    ("service-type-bad-enum-PASSED", _set(_service(), ("spec", "type"), "LoadBalancerr")),
    (
        "service-port-field-typo-FAILED",
        _set(_service(), ("spec", "ports", 0, "targetport"), 8080),
    ),
    ("service-missing-port-FAILED", _drop(_service(), ("spec", "ports", 0, "port"))),
    ("ingress-valid-PASSED", _ingress()),
    (
        "ingress-port-number-string-FAILED",
        _set(
            _ingress(),
            ("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port", "number"),
            "80",
        ),
    ),
    (
        "ingress-v1beta1-backend-fields-FAILED",
        _set(
            _ingress(),
            ("spec", "rules", 0, "http", "paths", 0, "backend"),
            {"serviceName": "web", "servicePort": 80},
        ),
    ),
    (
        "ingress-missing-pathtype-FAILED",
        _drop(_ingress(), ("spec", "rules", 0, "http", "paths", 0, "pathType")),
    ),
    ("configmap-valid-PASSED", _configmap()),
    ("configmap-data-int-FAILED", _set(_configmap(), ("data", "PORT"), 8080)),
    ("configmap-data-bool-FAILED", _set(_configmap(), ("data", "DEBUG"), False)),
    ("configmap-data-null-value-PASSED", _set(_configmap(), ("data", "EMPTY"), None)),
    ("configmap-data-list-FAILED", _set(_configmap(), ("data",), ["MODE=prod"])),
    ("secret-valid-PASSED", _secret()),
    # "format": "byte" is an annotation under draft 2020-12: kubernetes-validate never checks it.
    ("secret-data-not-base64-PASSED", _set(_secret(), ("data", "password"), "hunter2!")),
    ("secret-stringdata-list-FAILED", _set(_secret(), ("stringData",), ["user=admin"])),
    ("namespace-valid-PASSED", _namespace()),
    ("namespace-spec-typo-FAILED", _set(_namespace(), ("spec",), {"finalizer": ["kubernetes"]})),
    ("namespace-name-int-FAILED", _set(_namespace(), ("metadata", "name"), 42)),
    ("job-valid-PASSED", _job()),
    ("job-backofflimit-string-FAILED", _set(_job(), ("spec", "backoffLimit"), "2")),
    ("job-missing-template-FAILED", _drop(_job(), ("spec", "template"))),
    ("cronjob-valid-PASSED", _cronjob()),
    ("cronjob-missing-schedule-FAILED", _drop(_cronjob(), ("spec", "schedule"))),
    (
        "cronjob-pod-restartpolicy-typo-FAILED",
        _set(
            _cronjob(),
            ("spec", "jobTemplate", "spec", "template", "spec", "restartpolicy"),
            "Never",
        ),
    ),
    ("widget-unknown-kind-NO-SCHEMA", {"apiVersion": "example.com/v1", "kind": "Widget"}),
    (
        "application-argocd-NO-SCHEMA",
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "spec": {}},
    ),
    ("deployment-removed-api-NO-SCHEMA", _set(_deployment(), ("apiVersion",), "apps/v1beta1")),
    # Values where jsonschema-rs and Python's jsonschema would disagree: checked the slow way.
    (
        "configmap-annotation-date-FAILED",
        _set(_configmap(), ("metadata", "annotations", "at"), datetime.date(2024, 1, 1)),
    ),
    ("configmap-data-int-key-PASSED", _set(_configmap(), ("data", 1), "one")),
    ("configmap-metadata-int-key-FAILED", _set(_configmap(), ("metadata", 1), "one")),
    ("deployment-replicas-nan-FAILED", _set(_deployment(), ("spec", "replicas"), float("nan"))),
    (
        "deployment-cpu-limit-infinite-PASSED",
        _set(_deployment(), (*CONTAINERS, 0, "resources", "limits", "cpu"), float("inf")),
    ),
    ("deployment-replicas-decimal-FAILED", _set(_deployment(), ("spec", "replicas"), Decimal(3))),
    (
        "deployment-containers-tuple-FAILED",
        _set(_deployment(), CONTAINERS, ({"name": "web"},)),
    ),
    ("deployment-ruamel-anchors-hex-literal-PASSED", _round_trip(RUAMEL_DEPLOYMENT)),
    ("configmap-ruamel-timestamp-FAILED", _round_trip(RUAMEL_CONFIGMAP)),
    ("deployment-ruamel-nan-FAILED", _round_trip(RUAMEL_NAN)),
    # As this tool's YAML readers build objects (which jsonschema-rs reads without a copy).
    ("deployment-read-nan-FAILED", _read(BLOCK_DEPLOYMENT.format(replicas=".nan", cpu="1"))),
    ("deployment-read-infinite-cpu-PASSED", _read(BLOCK_DEPLOYMENT.format(replicas=2, cpu=".inf"))),
    ("deployment-read-flow-nan-FAILED", _read(RUAMEL_NAN)),
    ("deployment-read-valid-PASSED", _read(BLOCK_DEPLOYMENT.format(replicas=2, cpu="500m"))),
    ("configmap-read-data-int-key-PASSED", _read(BLOCK_CONFIGMAP.format(key=1))),
    ("configmap-read-data-string-key-PASSED", _read(BLOCK_CONFIGMAP.format(key="one"))),
]


def _outcome(name: str) -> str:
    return next(o for o in (NO_SCHEMA, PASSED, FAILED) if name.endswith(o))


def _kubernetes_validate_outcome(manifest: Manifest, version: str) -> str:
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError:
        return FAILED
    except SchemaNotFoundError:
        return NO_SCHEMA
    return PASSED


def _kubeschemas_outcome(manifest: Manifest, version: str) -> str:
    errors = KubeSchemas(version).errors(manifest)
    if errors is None:
        return NO_SCHEMA
    return FAILED if errors else PASSED


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [name for name, _ in CORPUS]
    assert len(names) == len(set(names))
    assert len(names) >= 30


@pytest.mark.parametrize("version", AGREEMENT_VERSIONS)
@pytest.mark.parametrize(("name", "manifest"), CORPUS, ids=[name for name, _ in CORPUS])
def test_verdict_matches_kubernetes_validate(name: str, manifest: Manifest, version: str) -> None:
    assert _kubernetes_validate_outcome(manifest, version) == _outcome(name)
    assert _kubeschemas_outcome(manifest, version) == _outcome(name)


@pytest.mark.parametrize("version", AGREEMENT_VERSIONS)
def test_exactly_the_same_objects_fail(version: str) -> None:
    theirs = {name for name, m in CORPUS if _kubernetes_validate_outcome(m, version) == FAILED}
    ours = {name for name, m in CORPUS if _kubeschemas_outcome(m, version) == FAILED}
    assert ours == theirs


def test_not_strict_accepts_unknown_fields_like_kubernetes_validate() -> None:
    manifest = _set(_deployment(), (*CONTAINERS, 0, "imagePullPolicyy"), "Always")
    assert kubernetes_validate.validate(manifest, "1.31", strict=False) == "1.31"
    assert KubeSchemas("1.31", strict=False).errors(manifest) == []


UNEXPECTED = "Additional properties are not allowed ({!r} was unexpected)"

EXACT_ERRORS: list[tuple[str, Manifest, list[SchemaError]]] = [
    (
        "replicas-string",
        _set(_deployment(), ("spec", "replicas"), "two"),
        [SchemaError(("spec", "replicas"), '"two" is not of types "null", "integer"')],
    ),
    (
        "unknown-container-field",
        _set(_deployment(), (*CONTAINERS, 0, "imagePullPolicyy"), "Always"),
        [SchemaError((*CONTAINERS, 0, "imagePullPolicyy"), UNEXPECTED.format("imagePullPolicyy"))],
    ),
    (
        "two-unknown-fields-one-error-each",
        _set(_set(_deployment(), ("specs",), {}), ("status2",), {}),
        [
            SchemaError(("specs",), UNEXPECTED.format("specs")),
            SchemaError(("status2",), UNEXPECTED.format("status2")),
        ],
    ),
    (
        "missing-selector",
        _drop(_deployment(), ("spec", "selector")),
        [SchemaError(("spec",), '"selector" is a required property')],
    ),
    (
        "maxunavailable-null",
        _set(_deployment(), ("spec", "strategy", "rollingUpdate", "maxUnavailable"), None),
        [
            SchemaError(
                ("spec", "strategy", "rollingUpdate", "maxUnavailable"),
                "null is valid under more than one of the schemas listed in the 'oneOf' keyword",
            )
        ],
    ),
    (
        "kind-lowercase",
        _set(_deployment(), ("kind",), "deployment"),
        [SchemaError(("kind",), '"deployment" is not one of "Deployment"')],
    ),
    (
        "configmap-data-int",
        _set(_configmap(), ("data", "PORT"), 8080),
        [SchemaError(("data", "PORT"), '8080 is not of types "null", "string"')],
    ),
    ("valid-deployment", _deployment(), []),
    # A date sends the object to Python's jsonschema: its messages, the same paths.
    (
        "date-and-unknown-field",
        _set(
            _set(_configmap(), ("metadata", "annotations", "at"), datetime.date(2024, 1, 1)),
            ("metadata", "label"),
            {},
        ),
        [
            SchemaError(
                ("metadata", "annotations", "at"),
                "datetime.date(2024, 1, 1) is not of type 'string', 'null'",
            ),
            SchemaError(("metadata", "label"), UNEXPECTED.format("label")),
        ],
    ),
]


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [(manifest, expected) for _, manifest, expected in EXACT_ERRORS],
    ids=[name for name, _, _ in EXACT_ERRORS],
)
def test_exact_errors(manifest: Manifest, expected: list[SchemaError]) -> None:
    assert KubeSchemas("1.31").errors(manifest) == expected


def test_ruamel_error_path_leads_back_to_the_line() -> None:
    manifest = _round_trip(RUAMEL_DEPLOYMENT.replace("args:", "argz:"))
    errors = KubeSchemas("1.31").errors(manifest)
    assert errors == [SchemaError((*CONTAINERS, 0, "argz"), UNEXPECTED.format("argz"))]
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    assert container.lc.key("argz") == (17, 10)


@pytest.mark.parametrize(
    "manifest",
    [{}, {"kind": "Deployment"}, {"apiVersion": "apps/v1"}, {"apiVersion": 1, "kind": "X"}],
)
def test_no_schema_without_string_api_version_and_kind(manifest: Manifest) -> None:
    assert KubeSchemas("1.31").errors(manifest) is None


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("apps/v1", "Deployment", True),
        ("apps/v1", "deployment", True),
        ("networking.k8s.io/v1", "Ingress", True),
        ("batch/v1", "CronJob", True),
        ("v1", "ConfigMap", True),
        ("extensions/v1beta1", "Ingress", False),
        ("argoproj.io/v1alpha1", "Application", False),
        ("example.com/v1", "Widget", False),
    ],
)
def test_has_schema(api_version: str, kind: str, expected: bool) -> None:
    assert KubeSchemas("1.31").has_schema(api_version, kind) is expected


def test_supported_versions_are_the_shipped_folders() -> None:
    shipped = sorted(set(all_versions()), key=Version)
    assert supported_versions() == shipped
    assert supported_versions()[0] == "1.25.0"


def _requested_versions() -> Iterator[str]:
    for version in supported_versions():
        major_minor = version.rsplit(".", 1)[0]
        yield from (version, major_minor, f"v{major_minor}", f"{major_minor}.9")


@pytest.mark.parametrize("requested", list(_requested_versions()))
def test_version_is_picked_like_kubernetes_validate(requested: str) -> None:
    picked = KubeSchemas(requested).version
    assert kubernetes_validate.validate(_configmap(), requested, strict=True) == picked[:-2]


@pytest.mark.parametrize("requested", ["1.24", "1.38", "2.0", "latest", ""])
def test_unsupported_version_is_a_value_error_listing_the_versions(requested: str) -> None:
    # Older than the oldest shipped version, kubernetes-validate fails with an IndexError.
    with pytest.raises((VersionNotSupportedError, IndexError)):
        kubernetes_validate.validate(_configmap(), requested, strict=True)
    with pytest.raises(ValueError, match=r"ships 1\.25\.0, 1\.26\.0, .*1\.37\.0$"):
        KubeSchemas(requested)


def test_versions_are_compared_as_numbers_not_strings() -> None:
    # kubernetes-validate compares version strings: "1.29" <= "1.3" < "1.30", so it picks 1.29.
    assert kubernetes_validate.validate(_configmap(), "1.3", strict=True) == "1.29"
    with pytest.raises(ValueError, match=r"^no Kubernetes schemas for version '1\.3'"):
        KubeSchemas("1.3")


class _Counting:
    """Wraps a constructor and remembers what it was built for."""

    def __init__(self, build: Callable[..., Any]) -> None:
        self.build = build
        self.built: list[str] = []

    def __call__(self, schema: dict[str, Any], **options: Any) -> Any:
        self.built.append(schema["$id"])
        return self.build(schema, **options)


def test_each_schema_is_compiled_once_and_the_slow_path_only_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = _Counting(jsonschema_rs.Draft202012Validator)
    slow = _Counting(jsonschema.Draft202012Validator)
    monkeypatch.setattr(jsonschema_rs, "Draft202012Validator", fast)
    monkeypatch.setattr(jsonschema, "Draft202012Validator", slow)
    kubeschema._schema_folder.cache_clear()

    for schemas in (KubeSchemas("1.28"), KubeSchemas("1.28.4")):
        for _ in range(3):
            assert schemas.errors(_deployment()) == []
            assert schemas.errors(_service()) == []
    assert fast.built == [
        "https://kubernetes.io/api/deployment/apps/v1",
        "https://kubernetes.io/api/service/v1",
    ]
    assert slow.built == []

    dated = _set(_configmap(), ("metadata", "annotations", "at"), datetime.date(2024, 1, 1))
    for _ in range(3):
        assert KubeSchemas("1.28").errors(dated)
    assert slow.built == ["https://kubernetes.io/api/configmap/v1"]


def test_only_the_schema_files_a_run_needs_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    def recording_open(file: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(file.rsplit("/", 1)[-1])
        return open(file, *args, **kwargs)

    monkeypatch.setattr(kubeschema, "open", recording_open, raising=False)
    kubeschema._schema_folder.cache_clear()

    schemas = KubeSchemas("1.27")
    for manifest in (_deployment(), _deployment(), _ingress(), _namespace()):
        schemas.errors(manifest)
    schemas.errors({"apiVersion": "example.com/v1", "kind": "Widget"})
    assert opened == [
        "deployment-apps-v1.json",
        "_definitions.json",
        "ingress-networking-v1.json",
        "namespace-v1.json",
    ]


def test_import_loads_no_validator() -> None:
    heavy = ["jsonschema", "jsonschema_rs", "kubernetes_validate", "referencing"]
    code = (
        f"import sys, gitopsctl.kube.kubeschema; print([m for m in {heavy!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
