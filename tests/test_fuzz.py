"""Fuzzing: no input crashes a command, and none passes silently broken.

Structure-aware edits of the example (its hand-written sources, and its committed output) and of
a manifest stream: lines deleted, duplicated, swapped or re-indented, scalars replaced by lists,
mappings, null, huge or odd values, control characters and invalid UTF-8 inserted. Each edited
input runs through the real command line in this process; the outcome must be exit 0, 1 or 2
with no traceback. Exit 3 (an internal error) is a crash found: the failure shows the example
and the traceback of a second run with `--debug`.

`make test` runs a small, derandomized share (reproducible in CI); `make fuzz` sets
`GITOPSCTL_FUZZ_EXAMPLES` (10,000 by default there) and runs the same tests with that many
examples in all, randomly.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopsctl.cli.main import cli
from gitopsctl.errors import InputError
from gitopsctl.paths import lookup, walk_paths
from gitopsctl.yaml.reader import read_stream
from tests.support import EXAMPLE_PARTS, PROJECT

FUZZ_EXAMPLES = "GITOPSCTL_FUZZ_EXAMPLES"
# Each test's share of the examples, in `make test` and of GITOPSCTL_FUZZ_EXAMPLES in `make fuzz`.
CI_EXAMPLES = {"sources": 100, "committed": 50, "manifests": 150}
SHARES = {"sources": 0.4, "committed": 0.2, "manifests": 0.4}


def fuzz_settings(target: str) -> settings:
    total = os.environ.get(FUZZ_EXAMPLES)
    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
    if total:  # `make fuzz`: random, and failures are kept in .hypothesis/ to replay
        examples = max(1, round(int(total) * SHARES[target]))
        return settings(max_examples=examples, deadline=None, suppress_health_check=quiet)
    return settings(
        max_examples=CI_EXAMPLES[target],
        deadline=None,
        derandomize=True,
        suppress_health_check=quiet,
    )


# --- edits ----------------------------------------------------------------------------------

ODD_SCALARS = [
    "[a, b]",
    "{a: 1}",
    "[]",
    "{}",
    "~",
    "null",
    "''",
    "0",
    "-1",
    "3.5",
    "1e999",
    ".nan",
    "true",
    "no",
    "9" * 40,
    "x" * 5000,
    '"${env.domain"',
    '"${nope}"',
    '"$${env.domain}"',
    "*missing",
    "&anchor value",
    "!custom value",
    "[[[[[[1]]]]]]",
    '"a\\u0000b"',
    '"\\t\\r"',
    "'Re Tool.Example.COM.'",
    "'*.example.com'",
    "'10.0.0.1'",
    "'${env.domain}'",
    "2027-02-30",
    "|\n  block",
    "-",
    ":",
    "? key",
    "[a, {b: [c, {d: e}]}]",
]
CONTROL = ["\x00", "\x07", "\x1b", "\t", "\r", "\x0b", "\x85", "\u2028", "\ufeff", "\ud800", "é"]
SCALAR_LINE = re.compile(r"^(\s*(?:- )?[^\s#\-][^:#]*:\s+)(\S.*)$")
# Keys the rules and the renderer read: edits of their values are the likeliest to reach code
# that trusts a type, so half the scalar and block replacements pick one of them.
FOCUS_KEYS = frozenset(
    {
        *("affinity", "annotations", "apiVersion", "data", "database", "databases", "enabled"),
        *("env", "host", "hostname", "hosts", "ingress", "ingressClassName", "instances"),
        *("items", "kind", "labels", "metadata", "name", "namespace", "nodeGroup", "nodeGroups"),
        *("nodeSelector", "placement", "replicaCount", "replicas", "rules", "secretName", "spec"),
        *("storage", "taints", "template", "tls", "tolerations", "topologySpreadConstraints"),
        *("value", "values", "workloads"),
    }
)
# Values of every type for a value anywhere in a document (`retype_value`), about evenly.
ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            *(None, True, False, 0, -1, 3.5, 10**40, float("inf"), float("nan")),
            *("", "x" * 5000, "Re Tool.Example.COM.", "*.example.com", "10.0.0.1", "${env.domain"),
            *("a\x00b", [], {}, [1, "a", None], {"a": [1, {"b": None}]}, [[[[1]]]], {"1": 2}),
        ]
    ),
    st.text(max_size=20),
)
BLOCK_LINE = re.compile(r"^(\s*(?:- )?[^\s#\-][^:#]*:)\s*$")  # `key:` with its value below

Lines = list[str]


def _index(draw: st.DrawFn, lines: Lines) -> int:
    return draw(st.integers(0, len(lines) - 1))


def delete_line(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _index(draw, lines)
    return lines[:index] + lines[index + 1 :]


def duplicate_line(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _index(draw, lines)
    return lines[: index + 1] + lines[index:]


def swap_lines(draw: st.DrawFn, lines: Lines) -> Lines:
    first, second = _index(draw, lines), _index(draw, lines)
    swapped = list(lines)
    swapped[first], swapped[second] = swapped[second], swapped[first]
    return swapped


def reindent_line(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _index(draw, lines)
    indent = draw(st.integers(0, 12))
    changed = list(lines)
    changed[index] = " " * indent + lines[index].lstrip(" ")
    return changed


def replace_scalar(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _line_to_replace(draw, lines, SCALAR_LINE)
    if index is None:
        return lines
    match = SCALAR_LINE.match(lines[index])
    assert match is not None
    value = draw(st.sampled_from(ODD_SCALARS))
    indent = " " * (len(match.group(1)) - len(match.group(1).lstrip()) + 2)
    changed = list(lines)
    changed[index : index + 1] = (match.group(1) + value).replace("\n", "\n" + indent).split("\n")
    return changed


def replace_block(draw: st.DrawFn, lines: Lines) -> Lines:
    """A mapping or list becomes a scalar: `tls:` and its items become `tls: 5`."""
    index = _line_to_replace(draw, lines, BLOCK_LINE)
    if index is None:
        return lines
    match = BLOCK_LINE.match(lines[index])
    assert match is not None
    depth = _depth(lines[index])
    end = index + 1
    while end < len(lines) and (not lines[end].strip() or _depth(lines[end]) > depth):
        end += 1
    if end < len(lines) and lines[end].lstrip().startswith("- ") and _depth(lines[end]) == depth:
        while end < len(lines) and (
            _depth(lines[end]) > depth or lines[end].lstrip().startswith("- ")
        ):
            end += 1  # a list written at its key's indentation
    value = draw(st.sampled_from(ODD_SCALARS)).replace("\n", "\n" + " " * (depth + 2))
    return [*lines[:index], f"{match.group(1)} {value}", *lines[end:]]


def _line_to_replace(draw: st.DrawFn, lines: Lines, pattern: re.Pattern[str]) -> int | None:
    candidates = [i for i, line in enumerate(lines) if pattern.match(line)]
    focused = [i for i in candidates if _key(lines[i]) in FOCUS_KEYS]
    if not candidates:
        return None
    prefer_focus: bool = draw(st.booleans())
    return draw(st.sampled_from(focused if focused and prefer_focus else candidates))


def _key(line: str) -> str:
    return line.strip().removeprefix("- ").split(":", 1)[0].strip()


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def insert_control(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _index(draw, lines)
    line = lines[index]
    at = draw(st.integers(0, len(line)))
    changed = list(lines)
    changed[index] = line[:at] + draw(st.sampled_from(CONTROL)) + line[at:]
    return changed


def insert_document_marker(draw: st.DrawFn, lines: Lines) -> Lines:
    index = _index(draw, lines)
    return [
        *lines[:index],
        draw(st.sampled_from(["---", "...", "--- |", "%YAML 1.2"])),
        *lines[index:],
    ]


def retype_value(draw: st.DrawFn, lines: Lines) -> Lines:
    """A value anywhere in the YAML data (a focus key's, half the time) becomes one of another
    type; the document is written again. Text that is not YAML is left to the line edits."""
    try:  # read as the commands read it (PyYAML's own loader would resolve timestamps)
        documents = [_plain(document.data) for document in read_stream("\n".join(lines), "")]
    except (InputError, UnicodeEncodeError):  # not YAML, or a lone surrogate inserted before
        return lines
    found = [(number, path) for number, data in enumerate(documents) for path in walk_paths(data)]
    if not found:
        return lines
    focused = [(n, path) for n, path in found if str(path[-1]) in FOCUS_KEYS]
    prefer_focus: bool = draw(st.booleans())
    pool = focused if focused and prefer_focus else found
    number, path = draw(st.sampled_from(pool))
    parent = lookup(documents[number], path[:-1])[1]
    parent[path[-1]] = draw(ODD_VALUES)
    text = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=1000)
    return text.splitlines()


def _plain(data: Any) -> Any:
    """Data PyYAML's safe dumper writes: plain dicts, lists and floats."""
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(item) for item in data]
    return float(data) if isinstance(data, float) else data


LINE_EDITS = [
    delete_line,
    duplicate_line,
    swap_lines,
    reindent_line,
    replace_scalar,
    replace_block,
    insert_control,
]
EDITS = [*LINE_EDITS, *[retype_value] * len(LINE_EDITS)]  # half the edits change a type


@st.composite
def edited(
    draw: st.DrawFn, text: str, edits: Sequence[Callable[[st.DrawFn, Lines], Lines]] = EDITS
) -> bytes:
    """The text after one to three edits, as bytes (a lone surrogate becomes invalid UTF-8).
    A leading comment (the header of a generated file) is kept, so edits reach the data."""
    lines = text.splitlines()
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    body = lines[header:]
    for _ in range(draw(st.integers(1, 3))):
        if body:
            body = draw(st.sampled_from(list(edits)))(draw, body)
    return ("\n".join([*lines[:header], *body]) + "\n").encode("utf-8", "surrogatepass")


# --- running --------------------------------------------------------------------------------


def outcome(repo: Path, args: Sequence[str], stdin: bytes | None = None) -> tuple[int, str]:
    """The exit code and everything printed, as `render.py --repo REPO ARGS` in this process."""
    result = CliRunner().invoke(
        cli, ["--repo", str(repo), *args], input=stdin, catch_exceptions=False
    )
    return result.exit_code, result.output  # standard output and error, as printed


def assert_no_crash(repo: Path, args: Sequence[str], stdin: bytes | None = None) -> None:
    code, printed = outcome(repo, args, stdin)
    if code not in (0, 1, 2) or "Traceback" in printed:
        _, traceback = outcome(repo, ["--debug", *args], stdin)
        pytest.fail(f"exit {code} for {list(args)}:\n{printed}\n{traceback}")


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the example for every example of a test: each edit is undone after its run."""
    repo = tmp_path_factory.mktemp("fuzz-repo")
    for part in EXAMPLE_PARTS:
        shutil.copytree(PROJECT / part, repo / part)
    return repo


def yaml_files(repo: Path, *folders: str) -> list[str]:
    return sorted(
        path.relative_to(repo).as_posix()
        for folder in folders
        for path in (repo / folder).rglob("*.yaml")
    )


SOURCE_FILES = yaml_files(PROJECT, "sources")
COMMITTED_FILES = yaml_files(PROJECT, "applications", "rendered")
SOURCE_COMMANDS = [
    ["validate"],
    ["validate", "--format", "json"],
    ["validate", "--format", "sarif"],
    ["validate", "--format", "github"],
    ["render", "--check"],
    ["explain", "--env", "prod", "--app", "retool"],
    ["explain", "--env", "dev", "--app", "keycloak-db"],
    ["graph", "--env", "staging", "--format", "dot"],
    ["diff", "dev", "prod", "--format", "json"],
]


@contextmanager
def with_file(repo: Path, name: str, content: bytes) -> Iterator[None]:
    path = repo / name
    original = path.read_bytes()
    path.write_bytes(content)
    try:
        yield
    finally:
        path.write_bytes(original)


def _file_edit(files: Sequence[str]) -> st.SearchStrategy[tuple[str, bytes]]:
    return st.sampled_from(list(files)).flatmap(
        lambda name: st.tuples(st.just(name), edited((PROJECT / name).read_text(encoding="utf-8")))
    )


@fuzz_settings("sources")
@given(change=_file_edit(SOURCE_FILES), args=st.sampled_from(SOURCE_COMMANDS))
def test_edited_sources_never_crash(
    scratch_repo: Path, change: tuple[str, bytes], args: list[str]
) -> None:
    name, content = change
    with with_file(scratch_repo, name, content):
        assert_no_crash(scratch_repo, args)


@fuzz_settings("committed")
@given(
    change=_file_edit(COMMITTED_FILES),
    fmt=st.sampled_from(["text", "json", "sarif", "github"]),
)
def test_edited_committed_output_never_crashes_validate(
    scratch_repo: Path, change: tuple[str, bytes], fmt: str
) -> None:
    name, content = change
    with with_file(scratch_repo, name, content):
        assert_no_crash(scratch_repo, ["validate", "--format", fmt])


STREAM = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels: {app.kubernetes.io/instance: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      nodeSelector: {workload-type: large}
      tolerations:
        - {key: workload-type, operator: Equal, value: large, effect: NoSchedule}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: workload-type, operator: In, values: [large]}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
      containers:
        - name: api
          image: shop/api:1.0
          env:
            - {name: DB_HOST, value: shop-db-rw.database.svc.cluster.local}
            - {name: DB_PASSWORD, value: hunter2}
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: api, key: token}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: monitoring}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: agent, image: agent:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: report:1}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt-prod
spec:
  ingressClassName: traefik-ingress
  rules:
    - host: shop.platform.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  tls:
    - hosts: [shop.platform.example.com]
      secretName: shop-tls
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data:
  DATABASE_HOST: shop-db-rw.database.svc.cluster.local
  client_secret: s3cr3t
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: shop-db, namespace: database}
spec:
  instances: 3
  affinity:
    nodeSelector: {workload-type: database}
    tolerations: [{key: workload-type, operator: Equal, value: database, effect: NoSchedule}]
---
apiVersion: v1
kind: List
items:
  - apiVersion: networking.k8s.io/v1
    kind: IngressClass
    metadata: {name: traefik-ingress}
    spec: {controller: traefik.io/ingress-controller}
  - apiVersion: cert-manager.io/v1
    kind: ClusterIssuer
    metadata: {name: letsencrypt-prod}
    spec: {selfSigned: {}}
"""
MANIFEST_EDITS = [*EDITS, insert_document_marker]
MANIFEST_ARGS = [
    [],
    ["--format", "json"],
    ["--format", "sarif"],
    ["--env", "prod"],
    ["--allow-empty"],
]


@fuzz_settings("manifests")
@given(stream=edited(STREAM, MANIFEST_EDITS), extra=st.sampled_from(MANIFEST_ARGS))
def test_edited_manifests_never_crash(stream: bytes, extra: list[str]) -> None:
    assert_no_crash(PROJECT, ["validate", "--manifests", "-", *extra], stdin=stream)


def test_the_unedited_inputs_are_accepted(scratch_repo: Path) -> None:
    """The fuzzers start from inputs the commands accept, so edits are what they test."""
    manifests = outcome(PROJECT, ["validate", "--manifests", "-"], STREAM.encode())
    assert (outcome(scratch_repo, ["validate"])[0], manifests[0]) == (0, 0), manifests[1]
