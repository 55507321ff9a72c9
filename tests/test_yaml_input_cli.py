"""Hostile and unusual YAML through the real commands: exit 2 at the line, nothing written; merge
keys and YAML 1.1 spellings read as Kubernetes and Helm read them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import output_snapshot, run_cli
from tests.support import edit, line_of
from tests.test_yamlio import _laughs, _nested

RETOOL = "sources/apps/retool.yaml"
REPLICAS = "  replicaCount: 1\n"


def _indented(text: str, by: int) -> str:
    return "".join(" " * by + line + "\n" for line in text.splitlines())


SOURCE_CASES = [
    pytest.param(
        "  bomb:\n" + _indented(_laughs(10), 4),
        lambda at: (
            f"{at + 9}:9: YAML aliases of the node here expand the document to 490,329,210 "
            "nodes (490,329,045 from aliases), past the alias budget"
        ),
        id="billion-laughs",
    ),
    pytest.param(
        "  loop: &loop [*loop]\n",
        lambda at: f"{at}:9: YAML alias refers to itself",
        id="recursive-alias",
    ),
    pytest.param(
        "  big: " + "9" * 5000 + "\n",
        lambda at: f"{at}:8: integer of 5000 digits is too long",
        id="huge-integer",
    ),
    pytest.param(
        _indented(_nested(100), 2),
        lambda at: f"{at + 99}:201: YAML nests deeper than 100 levels",
        id="deep-nesting",
    ),
    pytest.param(
        "  hook: !webhook https://example.com\n",
        lambda at: (
            f"{at}:9: YAML tag !webhook has no meaning here; write plain YAML "
            "(quote the value if needed)"
        ),
        id="local-tag",
    ),
]


@pytest.mark.parametrize(("inserted", "where"), SOURCE_CASES)
@pytest.mark.parametrize("command", ["render", "explain"])
def test_hostile_source_exits_2_at_its_line_and_writes_nothing(
    example_repo: Path, inserted: str, where: Callable[[int], str], command: str
) -> None:
    at = line_of(example_repo, RETOOL, "replicaCount: 1") + 1
    edit(example_repo, RETOOL, REPLICAS, REPLICAS + inserted)
    before = output_snapshot(example_repo)
    args = ["render"] if command == "render" else ["explain", "--env", "dev", "--app", "retool"]
    result = run_cli(example_repo, *args)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"error: {RETOOL}:{where(at)}\n",
    )
    assert output_snapshot(example_repo) == before


def test_a_second_document_in_a_source_exits_2(example_repo: Path) -> None:
    text = (example_repo / RETOOL).read_text(encoding="utf-8")
    (example_repo / RETOOL).write_text(text + "---\nreplicaCount: 9\n", encoding="utf-8")
    result = run_cli(example_repo, "render")
    line = len(text.splitlines()) + 2
    assert (result.returncode, result.stderr) == (
        2,
        f"error: {RETOOL}:{line}:1: a second YAML document starts here; this file holds exactly "
        "one\n",
    )


def test_merge_keys_in_source_values_merge(example_repo: Path) -> None:
    edit(
        example_repo,
        RETOOL,
        "  replicaCount: 1\n",
        "  sizing: &sizing {replicaCount: 1, minReadySeconds: 10}\n"
        "  <<: *sizing\n  replicaCount: 2\n",
    )
    result = run_cli(example_repo, "explain", "--env", "dev", "--app", "retool")
    assert result.returncode == 0, result.stderr
    line = line_of(example_repo, RETOOL, "sizing: &sizing")
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]  # columns aligned
    assert f"{RETOOL}:{line} minReadySeconds=10 (app values)" in lines
    assert f"{RETOOL}:{line + 2} replicaCount=2 (app values)" in lines


MANIFEST_CASES = [
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n" + _laughs(10),
        "error: stream.yaml:13:5: YAML aliases of the node here expand the document to "
        "490,329,066 nodes (490,329,045 from aliases), past the alias budget\n",
        id="billion-laughs",
    ),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: &d {x: *d}\n",
        "error: stream.yaml:4:7: YAML alias refers to itself\n",
        id="recursive-alias",
    ),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: " + "1" * 4400 + "}\n",
        "error: stream.yaml:4:11: integer of 4400 digits is too long\n",
        id="huge-integer",
    ),
    pytest.param(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: " + "[" * 120 + "]" * 120,
        "error: stream.yaml:4:106: YAML nests deeper than 100 levels\n",
        id="deep-nesting",
    ),
]


@pytest.mark.parametrize(("text", "stderr"), MANIFEST_CASES)
def test_hostile_manifests_exit_2_at_their_line(tmp_path: Path, text: str, stderr: str) -> None:
    (tmp_path / "stream.yaml").write_text(text, encoding="utf-8")
    result = run_cli(Path.cwd(), "validate", "--manifests", str(tmp_path / "stream.yaml"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == stderr.replace("stream.yaml", (tmp_path / "stream.yaml").as_posix())


def test_merge_keys_in_manifests_merge_as_kubectl_merges_them(tmp_path: Path) -> None:
    stream = tmp_path / "deploy.yaml"
    stream.write_text(
        """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - &base
          name: web
          image: example/web:1
          imagePullPolicy: 7
        - <<: *base
          name: sidecar
""",
        encoding="utf-8",
    )
    result = run_cli(Path.cwd(), "validate", "--manifests", str(stream), "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    schema = [(f["line"], f["column"], f["message"]) for f in findings]
    message = (
        "Deployment/shop/web: spec.template.spec.containers[{i}].imagePullPolicy: "
        '7 is not of types "null", "string"'
    )
    # The sidecar has the merged key too, found where it is written: in the anchored mapping.
    assert schema == [(13, 11, message.format(i=0)), (13, 11, message.format(i=1))]
