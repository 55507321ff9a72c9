"""The benchmark's inputs: the synthetic repository and the manifest stream (no timings here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bench import generate, manifests

PROJECT = Path(__file__).resolve().parents[1]
STREAM = manifests.manifest_stream(1000)


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
    )


def load_all(text: str) -> list[Any]:
    return list(YAML(typ="safe").load_all(text))


# --- the synthetic repository ---


def test_same_arguments_write_the_same_bytes(tmp_path: Path) -> None:
    generate.generate(tmp_path / "first", 3, 12)
    generate.generate(tmp_path / "second", 3, 12)
    assert read_tree(tmp_path / "first") == read_tree(tmp_path / "second")


def test_the_command_line_writes_the_repository(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    script = PROJECT / "bench/generate.py"
    argv = [sys.executable, str(script), "--envs", "2", "--apps", "4", str(out)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr, result.stdout) == (
        0,
        "",
        f"wrote {out}: 2 environments, 4 apps, 20 Applications\n",
    )
    assert sorted(p.name for p in (out / "sources/environments").iterdir()) == [
        "dev.yaml",
        "staging.yaml",
    ]


def test_an_existing_output_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileExistsError):
        generate.generate(tmp_path, 1, 1)


def test_a_tiny_repository_renders_and_validates(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    generate.generate(repo, 1, 3)
    rendered = run(repo, "render")
    assert (rendered.returncode, rendered.stderr) == (0, "")
    validated = run(repo, "validate")
    assert (validated.returncode, validated.stderr) == (0, "")
    *findings, summary = validated.stdout.splitlines()
    # No chart lock is generated: each upstream pin is a chart-lock warning; the Secrets the
    # apps' values name are declared provided outside the repository (excepted findings).
    locks = [line for line in findings if " warning chart-lock: " in line]
    provided = [line for line in findings if "(providedSecrets of app " in line]
    assert summary == f"0 errors, {len(locks)} warnings, {len(provided)} excepted"
    assert sorted(findings) == sorted([*locks, *provided])
    assert sorted(p.stem for p in (repo / "applications/dev").iterdir()) == [
        "cert-manager",
        "cloudnative-pg",
        "cluster-issuer",
        "metrics-0002",
        "project",
        "root",
        "sso-0000",
        "sso-0000-db",
        "tool-0001",
        "tool-0001-db",
        "traefik-ingress",
    ]


@pytest.mark.parametrize(
    ("envs", "apps", "applications"),
    [(1, 3, 9), (2, 4, 20), (5, 11, 100), (5, 68, 500), (5, 140, 1000)],
)
def test_application_count_is_one_per_app_and_database_per_environment(
    envs: int, apps: int, applications: int
) -> None:
    assert generate.application_count(envs, apps) == applications


@pytest.mark.parametrize(("target", "apps"), [(100, 11), (500, 68), (1000, 140)])
def test_apps_for_finds_the_benchmark_sizes(target: int, apps: int) -> None:
    assert generate.apps_for(target, 5) == apps


def test_environments_cycle_through_the_tiers() -> None:
    assert [(e.name, e.tier, e.issuer) for e in generate.environments(4)] == [
        ("dev", "development", "selfsigned-cluster-issuer"),
        ("staging", "staging", "letsencrypt-staging"),
        ("prod", "production", "letsencrypt-prod"),
        ("dev-2", "development", "selfsigned-cluster-issuer"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "6",
        "1.34",
        "77.5.0",
        "20Gi",
        "yes",
        "No",
        "null",
        "*",
        "1e3",
        "0x1F",
        "a: b",
        "",
        "${x}",
    ],
)
def test_the_writer_reads_back_as_the_same_string(value: str) -> None:
    assert load_all(generate.dump({"key": value, "list": [value]})) == [
        {"key": value, "list": [value]}
    ]


# --- the manifest stream ---


def test_the_stream_is_deterministic() -> None:
    assert manifests.manifest_stream(1000).text == STREAM.text


def test_the_stream_has_the_requested_kinds_and_counts() -> None:
    documents = load_all(STREAM.text)
    counts: dict[str, int] = {}
    for document in documents:
        counts[document["kind"]] = counts.get(document["kind"], 0) + 1
    assert counts == {
        "Deployment": 167,
        "StatefulSet": 167,
        "DaemonSet": 167,
        "Service": 167,
        "Ingress": 166,
        "ConfigMap": 166,
    }
    assert manifests.kind_counts(1000) == counts
    assert [obj.kind for obj in STREAM.objects] == [d["kind"] for d in documents]


def test_the_invalid_objects_are_the_documented_ones() -> None:
    invalid = [
        (obj.key, obj.invalid.defect, obj.invalid.path)
        for obj in STREAM.objects
        if obj.invalid is not None
    ]
    assert invalid == [
        ("Deployment/team-c/deployment-0042", "wrong type", "spec.replicas"),
        (
            "StatefulSet/team-c/statefulset-0043",
            "wrong type",
            "spec.template.spec.containers.0.ports.0.containerPort",
        ),
        (
            "DaemonSet/team-c/daemonset-0044",
            "unknown field",
            "spec.template.spec.containers.0.imagePullPolicyy",
        ),
        ("Service/team-c/service-0045", "wrong type", "spec.ports.0.port"),
        (
            "Ingress/team-c/ingress-0046",
            "missing required field",
            "spec.rules.0.http.paths.0.pathType",
        ),
        ("ConfigMap/team-c/configmap-0047", "wrong type", "data.workers"),
        ("Deployment/team-b/deployment-0606", "missing required field", "spec.selector"),
        ("StatefulSet/team-b/statefulset-0607", "unknown field", "spec.replica"),
        (
            "DaemonSet/team-b/daemonset-0608",
            "missing required field",
            "spec.template.spec.containers.0.name",
        ),
        ("Service/team-b/service-0609", "unknown field", "spec.selectors"),
        (
            "Ingress/team-b/ingress-0610",
            "wrong type",
            "spec.rules.0.http.paths.0.backend.service.port.number",
        ),
        ("ConfigMap/team-b/configmap-0611", "unknown field", "metadata.annotation"),
    ]


MISSING = object()


def at(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return MISSING
    return node


def test_each_defect_is_in_the_written_object_at_its_path() -> None:
    documents = load_all(STREAM.text)
    for obj in STREAM.objects:
        written, valid = documents[obj.position], manifests.valid_object(obj.position)
        if obj.invalid is None:
            assert written == valid, obj.key
            continue
        before, after = at(valid, obj.invalid.path), at(written, obj.invalid.path)
        if obj.invalid.defect == "missing required field":
            assert (before is MISSING, after is MISSING) == (False, True), obj.key
        elif obj.invalid.defect == "unknown field":
            assert (before is MISSING, after is MISSING) == (True, False), obj.key
        else:
            assert type(before) is not type(after), obj.key


def test_each_object_is_found_by_any_line_of_its_document() -> None:
    lines = STREAM.text.splitlines()
    for obj in STREAM.objects[:12]:
        assert lines[obj.first_line - 2] == "---"
        assert lines[obj.first_line - 1].startswith("apiVersion: ")
        for line in (obj.first_line, obj.last_line):
            assert manifests.object_at(STREAM.objects, line) == obj
    assert manifests.object_at(STREAM.objects, 1) is None
    assert manifests.object_at(STREAM.objects, len(lines) + 1) is None


@pytest.mark.parametrize(
    ("total", "counts", "invalid"),
    [
        (7, {"Deployment": 2, "StatefulSet": 1, "DaemonSet": 1}, []),
        (44, {"Deployment": 8, "StatefulSet": 8, "DaemonSet": 7}, [42, 43]),
    ],
)
def test_smaller_streams_keep_the_cycle_and_the_defects_that_fit(
    total: int, counts: dict[str, int], invalid: list[int]
) -> None:
    stream = manifests.manifest_stream(total)
    found = manifests.kind_counts(total)
    assert {kind: found[kind] for kind in counts} == counts
    assert sum(found.values()) == len(stream.objects) == len(load_all(stream.text)) == total
    assert [obj.position for obj in stream.objects if obj.invalid is not None] == invalid
