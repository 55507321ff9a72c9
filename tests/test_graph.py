"""`graph`: an environment's apps and databases with their sync waves, as Mermaid and Graphviz.

Edges point from a dependency to the app that needs it. Expected dependencies and waves come
from the sources: `dependsOn` (only apps enabled in the environment), the providers of the API
groups an app `uses`, an app's own `databases`, and the platform's database operator
(`databases.providedBy: cloudnative-pg`) for every database; `syncWave` where set, otherwise one
more than the latest dependency.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitopsctl.render.graph import mermaid_id
from tests.conftest import PROJECT, invoke_cli, run_cli
from tests.support import edit

# prod enables every app. cert-manager, cloudnative-pg, external-secrets and traefik-ingress set
# syncWave 1 and argocd 0; cluster-issuer depends on cert-manager (and uses its API group
# cert-manager.io), secret-store on external-secrets. Every database and every app's Secrets
# (`<app>-secrets`) need the platform's secret store (`secrets.providedBy: secret-store`).
PROD_DEPENDENCIES = {
    "argocd": set(),
    "cert-manager": set(),
    "cloudnative-pg": set(),
    "external-secrets": set(),
    "traefik-ingress": set(),
    "cluster-issuer": {"cert-manager"},
    "secret-store": {"external-secrets"},
    "keycloak-db": {"cloudnative-pg", "secret-store"},
    "retool-db": {"cloudnative-pg", "secret-store"},
    "keycloak-secrets": {"secret-store"},
    "retool-secrets": {"secret-store"},
    "monitoring-secrets": {"secret-store"},
    "keycloak": {"traefik-ingress", "cluster-issuer", "keycloak-db", "keycloak-secrets"},
    "retool": {"traefik-ingress", "cluster-issuer", "retool-db", "retool-secrets"},
    "monitoring": {"traefik-ingress", "cluster-issuer", "keycloak", "monitoring-secrets"},
}
PROD_WAVES = {
    "argocd": 0,
    "cert-manager": 1,
    "cloudnative-pg": 1,
    "external-secrets": 1,
    "traefik-ingress": 1,
    "cluster-issuer": 2,
    "secret-store": 2,
    "keycloak-db": 3,
    "retool-db": 3,
    "keycloak-secrets": 3,
    "retool-secrets": 3,
    "monitoring-secrets": 3,
    "keycloak": 4,
    "retool": 4,
    "monitoring": 5,
}
# chart: {path: charts/...}; an app's Secrets are rendered by charts/app-secrets
LOCAL_CHARTS = {
    "cluster-issuer",
    "secret-store",
    "keycloak-secrets",
    "retool-secrets",
    "monitoring-secrets",
}
DATABASES = {"keycloak-db", "retool-db"}

PROD_MERMAID = """\
flowchart TD
    %% environment prod: each arrow points from a dependency to the app that needs it
    argocd["argocd<br/>wave 0"]
    cert_manager["cert-manager<br/>wave 1"]
    cloudnative_pg["cloudnative-pg<br/>wave 1"]
    external_secrets["external-secrets<br/>wave 1"]
    traefik_ingress["traefik-ingress<br/>wave 1"]
    cluster_issuer[["cluster-issuer<br/>wave 2"]]
    secret_store[["secret-store<br/>wave 2"]]
    keycloak_db[("keycloak-db<br/>wave 3")]
    keycloak_secrets[["keycloak-secrets<br/>wave 3"]]
    monitoring_secrets[["monitoring-secrets<br/>wave 3"]]
    retool_db[("retool-db<br/>wave 3")]
    retool_secrets[["retool-secrets<br/>wave 3"]]
    keycloak["keycloak<br/>wave 4"]
    retool["retool<br/>wave 4"]
    monitoring["monitoring<br/>wave 5"]
    cert_manager --> cluster_issuer
    cloudnative_pg --> keycloak_db
    cloudnative_pg --> retool_db
    external_secrets --> secret_store
    traefik_ingress --> keycloak
    traefik_ingress --> retool
    traefik_ingress --> monitoring
    cluster_issuer --> keycloak
    cluster_issuer --> retool
    cluster_issuer --> monitoring
    secret_store --> keycloak_db
    secret_store --> keycloak_secrets
    secret_store --> monitoring_secrets
    secret_store --> retool_db
    secret_store --> retool_secrets
    keycloak_db --> keycloak
    keycloak_secrets --> keycloak
    monitoring_secrets --> monitoring
    retool_db --> retool
    retool_secrets --> retool
    keycloak --> monitoring
    classDef upstream fill:#e3f2fd,stroke:#1565c0,color:#0d47a1
    classDef local fill:#fff3e0,stroke:#e65100,color:#bf360c
    classDef database fill:#e8f5e9,stroke:#2e7d32,color:#1b5e20
    class argocd,cert_manager,cloudnative_pg,external_secrets,traefik_ingress,keycloak,retool,monitoring upstream
    class cluster_issuer,secret_store,keycloak_secrets,monitoring_secrets,retool_secrets local
    class keycloak_db,retool_db database
"""  # noqa: E501 (the exact lines the command prints)

PROD_DOT = """\
digraph "prod" {
    // each arrow points from a dependency to the app that needs it
    rankdir=TB;
    node [fontname="Helvetica", style=filled];
    "argocd" [label="argocd\\nwave 0", shape=box, fillcolor="#e3f2fd"];
    "cert-manager" [label="cert-manager\\nwave 1", shape=box, fillcolor="#e3f2fd"];
    "cloudnative-pg" [label="cloudnative-pg\\nwave 1", shape=box, fillcolor="#e3f2fd"];
    "external-secrets" [label="external-secrets\\nwave 1", shape=box, fillcolor="#e3f2fd"];
    "traefik-ingress" [label="traefik-ingress\\nwave 1", shape=box, fillcolor="#e3f2fd"];
    "cluster-issuer" [label="cluster-issuer\\nwave 2", shape=component, fillcolor="#fff3e0"];
    "secret-store" [label="secret-store\\nwave 2", shape=component, fillcolor="#fff3e0"];
    "keycloak-db" [label="keycloak-db\\nwave 3", shape=cylinder, fillcolor="#e8f5e9"];
    "keycloak-secrets" [label="keycloak-secrets\\nwave 3", shape=component, fillcolor="#fff3e0"];
    "monitoring-secrets" [label="monitoring-secrets\\nwave 3", shape=component, fillcolor="#fff3e0"];
    "retool-db" [label="retool-db\\nwave 3", shape=cylinder, fillcolor="#e8f5e9"];
    "retool-secrets" [label="retool-secrets\\nwave 3", shape=component, fillcolor="#fff3e0"];
    "keycloak" [label="keycloak\\nwave 4", shape=box, fillcolor="#e3f2fd"];
    "retool" [label="retool\\nwave 4", shape=box, fillcolor="#e3f2fd"];
    "monitoring" [label="monitoring\\nwave 5", shape=box, fillcolor="#e3f2fd"];
    "cert-manager" -> "cluster-issuer";
    "cloudnative-pg" -> "keycloak-db";
    "cloudnative-pg" -> "retool-db";
    "external-secrets" -> "secret-store";
    "traefik-ingress" -> "keycloak";
    "traefik-ingress" -> "retool";
    "traefik-ingress" -> "monitoring";
    "cluster-issuer" -> "keycloak";
    "cluster-issuer" -> "retool";
    "cluster-issuer" -> "monitoring";
    "secret-store" -> "keycloak-db";
    "secret-store" -> "keycloak-secrets";
    "secret-store" -> "monitoring-secrets";
    "secret-store" -> "retool-db";
    "secret-store" -> "retool-secrets";
    "keycloak-db" -> "keycloak";
    "keycloak-secrets" -> "keycloak";
    "monitoring-secrets" -> "monitoring";
    "retool-db" -> "retool";
    "retool-secrets" -> "retool";
    "keycloak" -> "monitoring";
    { rank=same; "argocd"; }
    { rank=same; "cert-manager"; "cloudnative-pg"; "external-secrets"; "traefik-ingress"; }
    { rank=same; "cluster-issuer"; "secret-store"; }
    { rank=same; "keycloak-db"; "keycloak-secrets"; "monitoring-secrets"; "retool-db"; "retool-secrets"; }
    { rank=same; "keycloak"; "retool"; }
    { rank=same; "monitoring"; }
}
"""  # noqa: E501 (the exact lines the command prints)

# A small environment of four example apps plus one named `end`, a Mermaid keyword, on a local
# chart. keycloak's dependency on traefik-ingress drops out (not enabled here), and so does its
# Secrets' dependency on the secret store.
SMALL_ENV = """\
cluster:
  server: https://kubernetes.default.svc
domain: small.example.com
issuer: selfsigned-cluster-issuer
tier: development
apps:
  keycloak:
  cluster-issuer:
  end:
  cert-manager:
  cloudnative-pg:
"""
END_APP = """\
chart:
  path: charts/cluster-issuer
namespace: end
dependsOn: [keycloak, retool]
values:
  name: end
"""
SMALL_MERMAID = """\
flowchart TD
    %% environment small: each arrow points from a dependency to the app that needs it
    keycloak_secrets[["keycloak-secrets<br/>wave 0"]]
    cert_manager["cert-manager<br/>wave 1"]
    cloudnative_pg["cloudnative-pg<br/>wave 1"]
    cluster_issuer[["cluster-issuer<br/>wave 2"]]
    keycloak_db[("keycloak-db<br/>wave 2")]
    keycloak["keycloak<br/>wave 3"]
    end_[["end<br/>wave 4"]]
    keycloak_secrets --> keycloak
    cert_manager --> cluster_issuer
    cloudnative_pg --> keycloak_db
    cluster_issuer --> keycloak
    keycloak_db --> keycloak
    keycloak --> end_
    classDef upstream fill:#e3f2fd,stroke:#1565c0,color:#0d47a1
    classDef local fill:#fff3e0,stroke:#e65100,color:#bf360c
    classDef database fill:#e8f5e9,stroke:#2e7d32,color:#1b5e20
    class cert_manager,cloudnative_pg,keycloak upstream
    class keycloak_secrets,cluster_issuer,end_ local
    class keycloak_db database
"""
SMALL_DOT = """\
digraph "small" {
    // each arrow points from a dependency to the app that needs it
    rankdir=TB;
    node [fontname="Helvetica", style=filled];
    "keycloak-secrets" [label="keycloak-secrets\\nwave 0", shape=component, fillcolor="#fff3e0"];
    "cert-manager" [label="cert-manager\\nwave 1", shape=box, fillcolor="#e3f2fd"];
    "cloudnative-pg" [label="cloudnative-pg\\nwave 1", shape=box, fillcolor="#e3f2fd"];
    "cluster-issuer" [label="cluster-issuer\\nwave 2", shape=component, fillcolor="#fff3e0"];
    "keycloak-db" [label="keycloak-db\\nwave 2", shape=cylinder, fillcolor="#e8f5e9"];
    "keycloak" [label="keycloak\\nwave 3", shape=box, fillcolor="#e3f2fd"];
    "end" [label="end\\nwave 4", shape=component, fillcolor="#fff3e0"];
    "keycloak-secrets" -> "keycloak";
    "cert-manager" -> "cluster-issuer";
    "cloudnative-pg" -> "keycloak-db";
    "cluster-issuer" -> "keycloak";
    "keycloak-db" -> "keycloak";
    "keycloak" -> "end";
    { rank=same; "keycloak-secrets"; }
    { rank=same; "cert-manager"; "cloudnative-pg"; }
    { rank=same; "cluster-issuer"; "keycloak-db"; }
    { rank=same; "keycloak"; }
    { rank=same; "end"; }
}
"""


@pytest.fixture
def small_repo(example_repo: Path) -> Path:
    for path in (example_repo / "sources/environments").iterdir():
        path.unlink()
    (example_repo / "sources/environments/small.yaml").write_text(SMALL_ENV, encoding="utf-8")
    (example_repo / "sources/apps/end.yaml").write_text(END_APP, encoding="utf-8")
    edit(example_repo, "sources/platform.yaml", "promotion: [dev, staging, prod]", "promotion: []")
    return example_repo


@pytest.mark.parametrize(("fmt", "expected"), [("mermaid", SMALL_MERMAID), ("dot", SMALL_DOT)])
def test_small_environment(small_repo: Path, fmt: str, expected: str) -> None:
    result = invoke_cli(small_repo, "graph", "--env", "small", "--format", fmt)
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", expected)


@pytest.mark.parametrize(("fmt", "expected"), [("mermaid", PROD_MERMAID), ("dot", PROD_DOT)])
def test_example_prod(fmt: str, expected: str) -> None:
    result = run_cli(PROJECT, "graph", "--env", "prod", "--format", fmt)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", expected)


def test_mermaid_is_the_default_format() -> None:
    assert invoke_cli(PROJECT, "graph", "--env", "prod").stdout == PROD_MERMAID


MERMAID_NODE = re.compile(r"    (\w+)(\[\[\"|\[\(\"|\[\")([-a-z0-9]+)<br/>wave (\d+)[\"\)\]]+")
MERMAID_EDGE = re.compile(r"    (\w+) --> (\w+)")
DOT_NODE = re.compile(r'    "([-a-z0-9]+)" \[label="\1\\nwave (\d+)", shape=(\w+), .*\];')
DOT_EDGE = re.compile(r'    "([-a-z0-9]+)" -> "([-a-z0-9]+)";')
MERMAID_OPENERS = {"database": '[("', "local": '[["', "upstream": '["'}
DOT_SHAPES = {"database": "cylinder", "local": "component", "upstream": "box"}


def kind_of(name: str) -> str:
    return "database" if name in DATABASES else "local" if name in LOCAL_CHARTS else "upstream"


def test_mermaid_edges_point_from_each_dependency_to_its_dependent() -> None:
    ids = {mermaid_id(name): name for name in PROD_WAVES}
    edges = [
        m.groups() for line in PROD_MERMAID.splitlines() if (m := MERMAID_EDGE.fullmatch(line))
    ]
    found: dict[str, set[str]] = {name: set() for name in PROD_WAVES}
    for dependency, dependent in edges:
        found[ids[dependent]].add(ids[dependency])
        assert PROD_WAVES[ids[dependency]] < PROD_WAVES[ids[dependent]]  # arrows follow sync order
    assert found == PROD_DEPENDENCIES


def test_dot_edges_point_from_each_dependency_to_its_dependent() -> None:
    edges = [m.groups() for line in PROD_DOT.splitlines() if (m := DOT_EDGE.fullmatch(line))]
    found: dict[str, set[str]] = {name: set() for name in PROD_WAVES}
    for dependency, dependent in edges:
        found[dependent].add(dependency)
    assert found == PROD_DEPENDENCIES


def test_mermaid_nodes_have_their_wave_and_shape() -> None:
    nodes = [
        m.groups() for line in PROD_MERMAID.splitlines() if (m := MERMAID_NODE.fullmatch(line))
    ]
    assert {name: int(wave) for _, _, name, wave in nodes} == PROD_WAVES
    for node_id, opener, name, _ in nodes:
        assert (node_id, opener) == (mermaid_id(name), MERMAID_OPENERS[kind_of(name)])
    for kind in ("upstream", "local", "database"):
        members = sorted(mermaid_id(name) for name in PROD_WAVES if kind_of(name) == kind)
        [line] = [line for line in PROD_MERMAID.splitlines() if line.endswith(f" {kind}")]
        assert sorted(line.split()[1].split(",")) == members


def test_dot_nodes_have_their_wave_and_shape() -> None:
    nodes = [m.groups() for line in PROD_DOT.splitlines() if (m := DOT_NODE.fullmatch(line))]
    assert {name: int(wave) for name, wave, _ in nodes} == PROD_WAVES
    assert {name: shape for name, _, shape in nodes} == {
        name: DOT_SHAPES[kind_of(name)] for name in PROD_WAVES
    }


@pytest.mark.parametrize(
    ("name", "node_id"),
    [
        ("cert-manager", "cert_manager"),
        ("a-b-c", "a_b_c"),
        ("end", "end_"),  # `end` closes a subgraph: as an id it breaks the whole chart
        ("class", "class_"),
        ("subgraph", "subgraph_"),
        ("end-to-end", "end_to_end"),
        ("1password", "1password"),
    ],
)
def test_mermaid_ids(name: str, node_id: str) -> None:
    assert mermaid_id(name) == node_id
    assert re.fullmatch(r"[A-Za-z0-9_]+", node_id)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--env", "qa"), "unknown environment qa (known: dev, prod, staging)"),
        (
            ("--env", "prod", "--format", "svg"),
            "unknown graph format 'svg' (known: mermaid, dot)",
        ),
    ],
)
def test_unusable_arguments_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli(PROJECT, "graph", *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
