"""`validate --manifests`: what is not a Kubernetes object is unusable input at its line (exit 2),
empty input is refused unless `--allow-empty`, Lists are expanded (nested ones too), and folders
are read as users keep them (upper-case suffixes, no hidden folders, no folders named x.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitopsctl.cli.main import cli
from tests.conftest import PROJECT, invoke_cli

NOT_AN_OBJECT = "not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
NGINX_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
"""
NGINX = "error ingress-class: ingress 'Ingress/shop/web' uses class 'nginx', not the platform's"


def validate(*args: str) -> tuple[int, str, str]:
    result = invoke_cli(PROJECT, "validate", *args)
    return result.exit_code, result.stdout, result.stderr


def unusable(file: Path, line: int, column: int, why: str) -> tuple[int, str, str]:
    return 2, "", f"error: {file.as_posix()}:{line}:{column}: {NOT_AN_OBJECT}: {why}\n"


@pytest.mark.parametrize(
    ("text", "line", "column", "why"),
    [
        pytest.param(
            CONFIG_MAP + "  labels: [app]\n",
            5,
            3,
            "metadata.labels is a list, not a mapping",
            id="labels-a-list-FAILED",
        ),
        pytest.param(
            CONFIG_MAP + "  labels: app\n",
            5,
            3,
            "metadata.labels is the string 'app', not a mapping",
            id="labels-a-string-FAILED",
        ),
        pytest.param(
            CONFIG_MAP + "  annotations: 7\n",
            5,
            3,
            "metadata.annotations is the number 7, not a mapping",
            id="annotations-a-number-FAILED",
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems: [1]\n",
            3,
            9,
            "it is the number 1",
            id="list-item-not-a-mapping-FAILED",
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    metadata: {name: a}\n",
            4,
            5,
            "kind is missing",
            id="list-item-without-kind-FAILED",
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
            3,
            1,
            "items of a List is a mapping, not a list of objects",
            id="list-items-a-mapping-FAILED",
        ),
        pytest.param(
            "kind: ConfigMap\nmetadata: {name: a}\n",
            1,
            1,
            "apiVersion is missing",
            id="no-api-version-FAILED",
        ),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\n",
            1,
            1,
            "metadata is missing",
            id="no-metadata-FAILED",
        ),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: a\n",
            1,
            1,
            "metadata.name is missing",
            id="no-name-FAILED",
        ),
        pytest.param(
            "apiVersion: v1\nkind: 42\nmetadata: {name: a}\n",
            1,
            1,
            "kind is the number 42, not a string",
            id="kind-a-number-FAILED",
        ),
        pytest.param(
            CONFIG_MAP + "---\n- 1\n", 6, 1, "it is a list", id="second-document-a-list-FAILED"
        ),
        pytest.param(
            CONFIG_MAP + "---\napiVersion: v1\nkind: Secret\nmetadata: {labels: {a: b}}\n",
            6,
            1,
            "metadata.name is missing",
            id="second-object-without-name-FAILED",
        ),
    ],
)
def test_what_is_not_a_kubernetes_object_exits_2_at_its_line(
    tmp_path: Path, text: str, line: int, column: int, why: str
) -> None:
    stream = tmp_path / "stream.yaml"
    stream.write_text(text, encoding="utf-8")
    assert validate("--manifests", str(stream)) == unusable(stream, line, column, why)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty-FAILED"),
        pytest.param("# helm printed only a comment\n---\n", id="comments-only-FAILED"),
        pytest.param("apiVersion: v1\nkind: List\nitems: []\n", id="empty-list-FAILED"),
    ],
)
def test_no_objects_is_unusable_unless_allowed(tmp_path: Path, text: str) -> None:
    stream = tmp_path / "stream.yaml"
    stream.write_text(text, encoding="utf-8")
    assert validate("--manifests", str(stream)) == (
        2,
        "",
        f"error: no Kubernetes objects read from {stream.as_posix()} "
        "(pass --allow-empty if none is fine)\n",
    )
    assert validate("--manifests", str(stream), "--allow-empty") == (0, "no findings\n", "")


def test_allow_empty_goes_with_manifests() -> None:
    assert validate("--allow-empty") == (2, "", "error: --allow-empty goes with --manifests\n")


def test_nested_lists_are_expanded_and_checked(tmp_path: Path) -> None:
    stream = tmp_path / "list.yaml"
    nested = "".join(f"      {line}\n" for line in NGINX_INGRESS.splitlines())
    stream.write_text(
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n    items:\n"
        + nested.replace("      apiVersion", "    - apiVersion", 1),
        encoding="utf-8",
    )
    code, stdout, stderr = validate("--manifests", str(stream))
    assert (code, stderr, stdout.splitlines()) == (
        1,
        "",
        [f"{stream.as_posix()}:11:9: {NGINX} 'traefik-ingress'", "1 error, 0 warnings, 0 excepted"],
    )


def test_a_folder_is_read_as_users_keep_manifests(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    (folder / "x.yaml").mkdir(parents=True)  # a folder named like a file: looked into, not read
    (folder / "x.yaml" / "inner.yml").write_text(CONFIG_MAP, encoding="utf-8")
    (folder / "INGRESS.YAML").write_text(NGINX_INGRESS, encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "broken.yaml").write_text("a: [1\n", encoding="utf-8")
    (folder / ".hidden.yaml").write_text("- not an object\n", encoding="utf-8")
    code, stdout, stderr = validate("--manifests", str(folder), "--format", "json")
    findings = [(f["rule"], f["file"], f["line"]) for f in json.loads(stdout)["findings"]]
    assert (code, stderr, findings) == (
        1,
        "",
        [("ingress-class", (folder / "INGRESS.YAML").as_posix(), 5)],
    )


INVALID_HOSTS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: traefik-ingress
  rules:
    - host: "shop .example.com"
    - host: "*.example.com"
    - host: 10.0.0.1
  tls:
    - hosts: ["Shop.example.com", 7]
      secretName: [shop-tls]
"""


def test_ingress_hosts_and_tls_are_checked_as_kubernetes_checks_them(tmp_path: Path) -> None:
    stream = tmp_path / "ingress.yaml"
    stream.write_text(INVALID_HOSTS, encoding="utf-8")
    code, stdout, _ = validate("--manifests", str(stream), "--format", "json")
    rows = [
        (f["line"], f["column"], f["message"])
        for f in json.loads(stdout)["findings"]
        if f["rule"] == "ingress-host" and "not in the hosts of any tls entry" not in f["message"]
    ]
    name = "ingress 'Ingress/shop/web'"
    assert (code, rows) == (
        1,
        [
            (
                7,
                7,
                f"{name} host 'shop .example.com' is not a valid Kubernetes Ingress host: "
                "it has the character ' '",
            ),
            (
                9,
                7,
                f"{name} host '10.0.0.1' is not a valid Kubernetes Ingress host: an IP address is "
                "not a host name: Kubernetes accepts only DNS names",
            ),
            (
                11,
                15,
                f"{name} host 'Shop.example.com' is not a valid Kubernetes Ingress host: "
                "it has upper-case letters",
            ),
            (11, 35, f"{name}: spec.tls[0].hosts[1] is the number 7, not a host name string"),
            (12, 7, f"{name}: spec.tls[0].secretName is a list, not a string"),
        ],
    )


def test_bytes_that_are_not_utf8_are_unusable_at_their_line() -> None:
    stream = b'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "a\xed\xa0\x80"}\n'
    result = CliRunner().invoke(
        cli, ["--repo", str(PROJECT), "validate", "--manifests", "-"], input=stream
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: <stdin>:3:20: not UTF-8 text: byte 0xed cannot be decoded "
        "(invalid continuation byte)\n",
    )
