#!/usr/bin/env python3
"""Write a synthetic repository in the project's source format, for the benchmark.

    python bench/generate.py --envs N --apps M OUT_DIR

OUT_DIR gets `sources/platform.yaml` (its `promotion` order limited to the environments
generated, and without its secret store: the synthetic apps declare no secrets, and their
databases keep CloudNativePG's own secret), `sources/profiles/` and `charts/` copied from this
repository, the four operator
apps the platform names (traefik-ingress, cloudnative-pg, cert-manager, cluster-issuer) copied
as well, M synthetic apps and N environments that enable every app. The synthetic apps cycle
through the example's kinds of app:

    index % 5   kind      like                       ingress            database  placement
    0           sso       keycloak                   hostname, tls flag  yes       workload
    1           tool      retool                     hostObjects, list   yes       large
    2           metrics   monitoring (Prometheus)    hosts, list         no        workload, '*'
    3           issuer    cluster-issuer (local)     -                   no        -
    4           gitops    argocd                     hostname, tls flag  no        workload

Each environment renders one child Application per app and per database, so

    Applications = N * (4 + M + D),  D = the apps among the M whose kind has a database
                                       = 2 * (M // 5) + min(M % 5, 2)

(`application_count`). `--envs 5 --apps 11`, `--apps 68` and `--apps 140` give exactly 100, 500
and 1,000 Applications; `apps_for` finds M for any target. Environments cycle through the
example's tiers: dev, staging, prod, dev-2, staging-2, prod-2, ...

The output depends only on the arguments and the copied files: the same arguments write the
same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, TypeAlias

PROJECT = Path(__file__).resolve().parents[1]
OPERATORS = ("traefik-ingress", "cloudnative-pg", "cert-manager", "cluster-issuer")
COPIED = ("sources/platform.yaml", "sources/profiles", "charts", "infrastructure")
EDGE = ("traefik-ingress", "cluster-issuer")
DOMAIN = "bench.example.com"

Yaml: TypeAlias = "bool | int | str | Sequence[Yaml] | Mapping[str, Yaml] | None"
Document: TypeAlias = Mapping[str, Yaml]


# --- a small YAML writer: block style, keys in insertion order, strings quoted when needed ---

# Plain where YAML reads the text back as the same string; JSON's quoting is valid YAML otherwise.
_PLAIN = re.compile(r"[A-Za-z_/$][-\w./${}@ ,:'()]*|[0-9][-\w./]*[A-Za-z][-\w./]*")
_NOT_PLAIN = re.compile(r"[0-9]+[eE][0-9]+|0[xob].*|.*(: | #|:$| $).*")
_NOT_STRINGS = frozenset(["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"])


def dump(document: Document) -> str:
    """Block-style YAML for a mapping: deterministic, and read back as the same data."""
    return "".join(_mapping_lines(document, 0))


def dump_all(documents: Sequence[Document]) -> str:
    """A multi-document stream, each document after a `---` line."""
    return "".join(f"---\n{dump(document)}" for document in documents)


def scalar(value: bool | int | str | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    plain = _PLAIN.fullmatch(value) and not _NOT_PLAIN.fullmatch(value)
    return value if plain and value.lower() not in _NOT_STRINGS else json.dumps(value)


def _inline(value: Yaml) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[]"
    return scalar(value)


def _is_block(value: Yaml) -> bool:
    return isinstance(value, Mapping | Sequence) and not isinstance(value, str) and len(value) > 0


def _mapping_lines(mapping: Mapping[str, Yaml], indent: int) -> Iterator[str]:
    pad = " " * indent
    for key, value in mapping.items():
        head = f"{pad}{scalar(key)}:"
        if _is_block(value):
            yield head + "\n"
            yield from _block_lines(value, indent + 2)
        else:
            yield head + ("" if value is None else " " + _inline(value)) + "\n"


def _block_lines(value: Yaml, indent: int) -> Iterator[str]:
    if isinstance(value, Mapping):
        yield from _mapping_lines(value, indent)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        yield from _sequence_lines(value, indent)


def _sequence_lines(items: Sequence[Yaml], indent: int) -> Iterator[str]:
    pad = " " * indent
    for item in items:
        if not _is_block(item):
            yield f"{pad}- {_inline(item)}\n"
            continue
        lines = list(_block_lines(item, indent + 2))
        yield f"{pad}- {lines[0][indent + 2 :]}"
        yield from lines[1:]


# --- environments ---


class Environment(NamedTuple):
    name: str
    tier: str
    issuer: str

    @property
    def domain(self) -> str:
        return f"{self.name}.{DOMAIN}"


TIERS = (
    ("dev", "development", "selfsigned-cluster-issuer"),
    ("staging", "staging", "letsencrypt-staging"),
    ("prod", "production", "letsencrypt-prod"),
)
ACME_SERVERS = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}
# Replicas (and database instances) per tier; development keeps the chart defaults.
REPLICAS = {"staging": 2, "production": 3}


def environments(count: int) -> list[Environment]:
    """dev, staging, prod, dev-2, staging-2, prod-2, ... (`count` of them)."""
    found = []
    for index in range(count):
        base, tier, issuer = TIERS[index % len(TIERS)]
        round_ = index // len(TIERS) + 1
        found.append(Environment(base if round_ == 1 else f"{base}-{round_}", tier, issuer))
    return found


# --- the kinds of app ---


class App(NamedTuple):
    """One synthetic app: its name, its position in the cycle, and the app it may log in to."""

    name: str
    number: int
    width: int

    def sibling(self, offset: int) -> str:
        """The name of the app `offset` places earlier in the cycle (always of a known kind)."""
        other = self.number - offset
        return f"{KINDS[other % len(KINDS)].name}-{other:0{self.width}d}"

    @property
    def identifier(self) -> str:
        """The name as a PostgreSQL identifier (database and owner)."""
        return self.name.replace("-", "_")

    @property
    def database(self) -> str:
        return f"{self.name}-db"


Override: TypeAlias = "dict[str, Yaml] | None"


class Kind(NamedTuple):
    name: str
    has_database: bool
    source: Callable[[App], dict[str, Yaml]]
    override: Callable[[App, Environment], Override]


def sso_source(app: App) -> dict[str, Yaml]:
    db = app.database
    return {
        "description": f"Synthetic Keycloak-style app {app.number}: an ingress and a database.",
        "chart": {
            "repo": "https://codecentric.github.io/helm-charts",
            "name": "keycloakx",
            "version": "7.1.11",
        },
        "namespace": app.name,
        "dependsOn": list(EDGE),
        "placement": {"nodeGroup": "workload"},
        "ingresses": {"main": {"host": f"{app.name}.${{env.domain}}"}},
        "databases": {
            db: {
                "database": app.identifier,
                "owner": app.identifier,
                "instances": 1,
                "storage": "10Gi",
            }
        },
        "providedSecrets": provided(f"{app.name}-admin", f"{db}-credentials"),
        "values": {
            "args": ["start", "--hostname=${ingress.main.url}"],
            "http": {"relativePath": "/"},
            "proxy": {"mode": "xforwarded"},
            "database": {
                "vendor": "postgres",
                "hostname": f"${{db.{db}.host}}",
                "port": 5432,
                "database": f"${{db.{db}.database}}",
                "username": f"${{db.{db}.owner}}",
                "existingSecret": f"{db}-credentials",
                "existingSecretKey": "password",
            },
            "bootstrapAdmin": {
                "username": "admin",
                "existingSecret": f"{app.name}-admin",
                "passwordKey": "password",
            },
        },
    }


def sso_override(app: App, env: Environment) -> Override:
    return _replicated_with_database(app, env, production_storage="20Gi", replicas_key="replicas")


def _replicated_with_database(
    app: App, env: Environment, production_storage: str, replicas_key: str = "replicaCount"
) -> Override:
    """More replicas and database instances per tier, more storage in production."""
    replicas = REPLICAS.get(env.tier)
    if replicas is None:
        return None
    instances: dict[str, Yaml] = {"instances": replicas}
    if env.tier == "production":
        instances["storage"] = production_storage
    return {"values": {replicas_key: replicas}, "databases": {app.database: instances}}


def tool_source(app: App) -> dict[str, Yaml]:
    db = app.database
    return {
        "description": f"Synthetic Retool-style app {app.number}: on the large nodes, a database.",
        "chart": {"repo": "https://charts.retool.com", "name": "retool", "version": "6.5.2"},
        "namespace": app.name,
        "dependsOn": list(EDGE),
        "placement": {"nodeGroup": "large"},
        "ingresses": {"main": {"host": f"{app.name}.${{env.domain}}"}},
        "databases": {
            db: {
                "database": app.identifier,
                "owner": app.identifier,
                "instances": 1,
                "storage": "20Gi",
            }
        },
        "providedSecrets": provided(f"{app.name}-license", f"{db}-credentials"),
        "values": {
            "replicaCount": 1,
            "resources": {"requests": {"cpu": "6", "memory": "12Gi"}, "limits": {"memory": "14Gi"}},
            "postgresql": {"enabled": False},
            "config": {
                "licenseKeySecretName": f"{app.name}-license",
                "licenseKeySecretKey": "license-key",
                "postgresql": {
                    "host": f"${{db.{db}.host}}",
                    "port": 5432,
                    "db": f"${{db.{db}.database}}",
                    "user": f"${{db.{db}.owner}}",
                    "passwordSecretName": f"{db}-credentials",
                    "passwordSecretKey": "password",
                },
            },
        },
    }


def tool_override(app: App, env: Environment) -> Override:
    return _replicated_with_database(app, env, production_storage="50Gi")


def metrics_source(app: App) -> dict[str, Yaml]:
    sso = f"https://{app.sibling(2)}.${{env.domain}}/realms/platform/protocol/openid-connect"
    return {
        "description": f"Synthetic monitoring app {app.number}: a DaemonSet on every node.",
        "chart": {
            "repo": "https://prometheus-community.github.io/helm-charts",
            "name": "kube-prometheus-stack",
            "version": "77.5.0",
        },
        "namespace": app.name,
        "dependsOn": [*EDGE, app.sibling(2)],
        "placement": {"nodeGroup": "workload", "workloads": {"nodeExporter": "*"}},
        "ingresses": {"grafana": {"host": f"{app.name}.${{env.domain}}"}},
        "providedSecrets": provided(f"{app.name}-grafana-admin"),
        "values": {
            "prometheus": {"prometheusSpec": {"retention": "15d"}},
            "grafana": {
                "admin": {
                    "existingSecret": f"{app.name}-grafana-admin",
                    "userKey": "admin-user",
                    "passwordKey": "admin-password",
                },
                "grafana.ini": {
                    "server": {"root_url": "${ingress.grafana.url}"},
                    "auth.generic_oauth": {
                        "enabled": True,
                        "client_id": app.name,
                        "auth_url": f"{sso}/auth",
                        "token_url": f"{sso}/token",
                        "api_url": f"{sso}/userinfo",
                    },
                },
            },
        },
    }


def metrics_override(app: App, env: Environment) -> Override:
    retention = {"development": "3d", "staging": "7d", "production": "30d"}[env.tier]
    spec: dict[str, Yaml] = {"retention": retention}
    values: dict[str, Yaml] = {"prometheus": {"prometheusSpec": spec}}
    if env.tier == "production":
        spec["replicas"] = 2
        values["grafana"] = {"replicas": 2}
    return {"values": values}


def issuer_source(app: App) -> dict[str, Yaml]:
    return {
        "description": f"Synthetic local-chart app {app.number}: an extra ClusterIssuer.",
        "chart": {"path": "charts/cluster-issuer"},
        "namespace": app.name,
        "dependsOn": ["cert-manager"],
        "apis": {"uses": ["cert-manager.io"]},
        "values": {
            "name": "${app.name}",
            "ingressClass": "${platform.ingressClass}",
            "selfSigned": {},
        },
    }


def issuer_override(app: App, env: Environment) -> Override:
    if env.tier == "development":
        return None
    acme = {"server": ACME_SERVERS[env.tier], "email": "platform-team@example.com"}
    # An explicit null removes the app's self-signed default: exactly one of the two remains.
    return {"values": {"selfSigned": None, "acme": acme}}


def gitops_source(app: App) -> dict[str, Yaml]:
    return {
        "description": f"Synthetic Argo CD-style app {app.number}: components placed one by one.",
        "chart": {
            "repo": "https://argoproj.github.io/argo-helm",
            "name": "argo-cd",
            "version": "8.1.3",
        },
        "namespace": app.name,
        "dependsOn": list(EDGE),
        "placement": {"nodeGroup": "workload"},
        "ingresses": {"server": {"host": f"{app.name}.${{env.domain}}"}},
        "values": {
            "configs": {"params": {"server.insecure": True}, "cm": {"url": "${ingress.server.url}"}}
        },
    }


def gitops_override(app: App, env: Environment) -> Override:
    replicas = REPLICAS.get(env.tier)
    if replicas is None:
        return None
    return {"values": {"server": {"replicas": replicas}, "repoServer": {"replicas": replicas}}}


KINDS = (
    Kind("sso", True, sso_source, sso_override),
    Kind("tool", True, tool_source, tool_override),
    Kind("metrics", False, metrics_source, metrics_override),
    Kind("issuer", False, issuer_source, issuer_override),
    Kind("gitops", False, gitops_source, gitops_override),
)


def kind_of(index: int) -> Kind:
    return KINDS[index % len(KINDS)]


def apps(count: int) -> list[App]:
    width = max(4, len(str(count - 1)))
    return [App(f"{kind_of(i).name}-{i:0{width}d}", i, width) for i in range(count)]


def database_count(app_count: int) -> int:
    return sum(kind_of(index).has_database for index in range(app_count))


def application_count(env_count: int, app_count: int) -> int:
    """Child Applications over every environment: one per app and per database."""
    return env_count * (len(OPERATORS) + app_count + database_count(app_count))


def apps_for(target: int, env_count: int) -> int:
    """The number of synthetic apps whose repository comes closest to `target` Applications."""
    best = 0
    for count in range(target + 1):
        if abs(application_count(env_count, count) - target) < abs(
            application_count(env_count, best) - target
        ):
            best = count
        if application_count(env_count, count) > target:
            break
    return best


# --- the operators' per-environment settings, as in the example's environments ---


def operator_override(name: str, env: Environment) -> Override:
    replicas = REPLICAS.get(env.tier)
    if name == "cluster-issuer":
        if env.tier == "development":
            return {"values": {"selfSigned": {}}}
        acme = {"server": ACME_SERVERS[env.tier], "email": "platform-team@example.com"}
        return {"values": {"acme": acme}}
    if replicas is None or name == "cloudnative-pg":
        return None
    if name == "traefik-ingress":
        return {"values": {"deployment": {"replicas": replicas}}}
    return {"values": {"replicaCount": 2, "webhook": {"replicaCount": 2}}}


def environment_source(env: Environment, synthetic: Sequence[App]) -> dict[str, Yaml]:
    enabled: dict[str, Yaml] = {name: operator_override(name, env) for name in OPERATORS}
    for app in synthetic:
        enabled[app.name] = kind_of(app.number).override(app, env)
    return {
        "description": f"Synthetic {env.tier} environment {env.name}.",
        "cluster": {"server": "https://kubernetes.default.svc"},
        "domain": env.domain,
        "issuer": env.issuer,
        "tier": env.tier,
        "apps": enabled,
    }


# --- the repository ---


def header(env_count: int, app_count: int) -> str:
    return f"# Synthetic, written by bench/generate.py --envs {env_count} --apps {app_count}.\n"


def generated_files(env_count: int, app_count: int) -> dict[str, str]:
    """Every generated source file, by its path in the repository."""
    synthetic = apps(app_count)
    top = header(env_count, app_count)
    files = {
        f"sources/apps/{app.name}.yaml": top + dump(kind_of(app.number).source(app))
        for app in synthetic
    }
    for env in environments(env_count):
        files[f"sources/environments/{env.name}.yaml"] = top + dump(
            environment_source(env, synthetic)
        )
    return files


def copy_project_files(source: Path, out: Path) -> None:
    """The platform, the chart profiles, the local charts and the operator apps, verbatim."""
    for part in COPIED:
        origin, target = source / part, out / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target)
        else:
            shutil.copyfile(origin, target)
    (out / "sources/apps").mkdir(parents=True, exist_ok=True)
    for name in OPERATORS:
        shutil.copyfile(source / f"sources/apps/{name}.yaml", out / f"sources/apps/{name}.yaml")


PROMOTION = re.compile(r"(?m)^promotion: \[(.*)\]$")


def provided(*names: str) -> list[dict[str, str]]:
    """The Secrets a synthetic app's values name: the generated repository has no secret store,
    so they are declared as provided outside it."""
    return [{"name": name, "reason": PROVIDED_OUTSIDE} for name in names]


PROVIDED_OUTSIDE = "created outside the synthetic repository, which has no secret store"
SECRET_STORE = re.compile(r"(?m)^secrets:\n(?:[ #].*\n)*")


def limit_promotion(platform: Path, names: Sequence[str]) -> None:
    """The copied platform's `promotion` order, without the environments not generated."""
    text = platform.read_text(encoding="utf-8")

    def kept(match: re.Match[str]) -> str:
        order = [name for name in match[1].split(", ") if name in names]
        return f"promotion: [{', '.join(order)}]"

    platform.write_text(PROMOTION.sub(kept, text), encoding="utf-8")


def without_secret_store(platform: Path) -> None:
    """The copied platform without `secrets:`, whose store app is not among the copied apps."""
    text = platform.read_text(encoding="utf-8")
    platform.write_text(SECRET_STORE.sub("", text), encoding="utf-8")


def generate(out: Path, env_count: int, app_count: int, source: Path = PROJECT) -> int:
    """Write the repository into `out` (which must not exist); return its Application count."""
    if out.exists():
        raise FileExistsError(f"{out} exists; give a new directory")
    copy_project_files(source, out)
    limit_promotion(out / "sources/platform.yaml", [env.name for env in environments(env_count)])
    without_secret_store(out / "sources/platform.yaml")
    (out / "sources/environments").mkdir(parents=True)
    for name, text in generated_files(env_count, app_count).items():
        (out / name).write_text(text, encoding="utf-8")
    return application_count(env_count, app_count)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, required=True, metavar="N", help="environments")
    parser.add_argument("--apps", type=int, required=True, metavar="M", help="synthetic apps")
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="a directory to create")
    args = parser.parse_args(argv)
    if args.envs < 1 or args.apps < 0:
        parser.error("--envs must be at least 1 and --apps at least 0")
    try:
        count = generate(args.out, args.envs, args.apps)
    except FileExistsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {args.envs} environments, {args.apps} apps, {count} Applications")
    return 0


if __name__ == "__main__":
    sys.exit(main())
