"""Sources that cannot be rendered faithfully are unusable input (exit 2) at their line, never
written as they are: an unterminated `${`, an impossible exception date, an ingress host
Kubernetes refuses, a file read through a link out of the repository. And `validate` reports
them as source-schema findings in its format while exiting 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke_cli, output_snapshot
from tests.support import edit, line_of
from tests.test_diff import commit_all, git

RETOOL = "sources/apps/retool.yaml"
PLATFORM = "sources/platform.yaml"
HOST = "    host: retool.${env.domain}\n"
NOT_READ = "it is not read (copy what it points to into the repository)"

# An edit returns the message expected on standard error (after "error: ").
Edit = Callable[[Path], str]


def unterminated_in_values(repo: Path) -> str:
    edit(repo, RETOOL, "db: ${db.retool-db.database}", "db: jdbc:${db.retool-db.database")
    line = line_of(repo, RETOOL, "db: jdbc:")
    return (
        f"{RETOOL}:{line}:7: unterminated ${{ ... }}: '${{db.retool-db.database' has no closing "
        "} (close it, or write $${ for a literal ${)"
    )


def unterminated_in_host(repo: Path) -> str:
    edit(repo, RETOOL, HOST, "    host: retool.${env.domain\n")
    line = line_of(repo, RETOOL, "host: retool")
    return (
        f"{RETOOL}:{line}:5: unterminated ${{ ... }}: '${{env.domain' has no closing }} "
        "(close it, or write $${ for a literal ${)"
    )


def impossible_expiry(repo: Path) -> str:
    path = repo / PLATFORM
    text = path.read_text(encoding="utf-8")
    exception = "exceptions:\n  - rule: ha-replicas\n    reason: r\n    expires: 2027-02-30\n"
    path.write_text(text + exception, encoding="utf-8")
    line = line_of(repo, PLATFORM, "expires: 2027-02-30")
    return (
        f"{PLATFORM}:{line}:5: exceptions.0.expires: '2027-02-30' is not a date "
        "(day is out of range for month)"
    )


def host_edit(host: str, why: str) -> Edit:
    def change(repo: Path) -> str:
        shown = json.dumps(host)
        edit(repo, RETOOL, HOST, f"    host: {shown}\n")
        line = line_of(repo, RETOOL, f"    host: {shown}")
        return f"{RETOOL}:{line}:5: ingress 'main' host {host!r} {why}"

    return change


def invalid(reason: str) -> str:
    return f"is not a valid Kubernetes Ingress host: {reason}"


def link_out(inside: str, target_is_folder: bool = False) -> Edit:
    """``inside`` becomes a link to a file (or folder) outside the repository."""

    def change(repo: Path) -> str:
        outside = repo.parent / f"{repo.name}-outside"
        outside.mkdir()
        (outside / "secret.yaml").write_text("password: hunter2\n", encoding="utf-8")
        link = repo / inside
        if link.is_dir():
            for child in link.iterdir():
                (outside / child.name).write_bytes(child.read_bytes())
                child.unlink()
            link.rmdir()
        elif link.exists():
            link.unlink()
        link.symlink_to(outside if target_is_folder else outside / "secret.yaml")
        what = "folder" if target_is_folder else "file"
        return f"{inside}: is a symlink to a {what} outside the repository: {NOT_READ}"

    return change


def case(name: str, change: Edit) -> Any:
    return pytest.param(change, id=name)


CASES = [
    case("unterminated-variable-in-values-FAILED", unterminated_in_values),
    case("unterminated-variable-in-host-FAILED", unterminated_in_host),
    case("exception-expiring-on-an-impossible-date-FAILED", impossible_expiry),
    case(
        "host-with-a-space-FAILED",
        host_edit("re tool.example.com", invalid("it has the character ' '")),
    ),
    case(
        "host-with-upper-case-FAILED",
        host_edit("Retool.example.com", invalid("it has upper-case letters")),
    ),
    case(
        "host-with-a-trailing-dot-FAILED",
        host_edit(
            "retool.example.com.",
            invalid("it ends in a dot (Kubernetes does not take the root label)"),
        ),
    ),
    case(
        "host-too-long-FAILED",
        host_edit("a" * 64 + ".example.com", invalid(f"its label {'a' * 20!r}... has 64 "
                                                       "characters, more than 63")),
    ),
    case(
        "host-not-ascii-FAILED",
        host_edit(
            "rétool.example.com",
            invalid("it has non-ASCII characters (write an internationalized name in punycode)"),
        ),
    ),
    case(
        "host-an-ip-address-FAILED",
        host_edit(
            "10.0.0.1",
            invalid("an IP address is not a host name: Kubernetes accepts only DNS names"),
        ),
    ),
    case(
        "wildcard-host-names-no-valid-secret-FAILED",
        host_edit(
            "*.example.com",
            "names its TLS secret '*-example-com-tls', which is not a valid Kubernetes Secret "
            "name: it has a '*'",
        ),
    ),
    case("source-file-linked-out-of-the-repository-FAILED", link_out("sources/apps/retool.yaml")),
    case(
        "source-folder-linked-out-of-the-repository-FAILED",
        link_out("sources/profiles", target_is_folder=True),
    ),
]  # fmt: skip


@pytest.mark.parametrize("change", CASES)
def test_unusable_source_exits_2_at_its_line_and_writes_nothing(
    example_repo: Path, change: Edit
) -> None:
    message = change(example_repo)
    before = output_snapshot(example_repo)

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert "hunter2" not in result.stderr
    assert output_snapshot(example_repo) == before


@pytest.mark.parametrize("change", CASES)
def test_validate_reports_it_as_a_source_schema_finding_and_exits_2(
    example_repo: Path, change: Edit
) -> None:
    message = change(example_repo)
    file, _, rest = message.partition(":")
    line = int(rest.split(":")[0]) if rest.split(":")[0].isdigit() else 1

    result = invoke_cli(example_repo, "validate", "--format", "json")

    findings = json.loads(result.stdout)["findings"]
    assert (result.exit_code, [(f["rule"], f["file"], f["line"]) for f in findings]) == (
        2,
        [("source-schema", file, line)],
    )
    assert "hunter2" not in result.stdout + result.stderr


def test_a_link_inside_the_repository_is_read(example_repo: Path) -> None:
    (example_repo / "sources/environments/qa.yaml").symlink_to("dev.yaml")

    result = invoke_cli(example_repo, "explain", "--env", "qa", "--app", "retool")

    assert (result.exit_code, result.stderr) == (0, "")
    assert "# qa/retool: app" in result.stdout


def test_a_chart_file_linked_out_of_the_repository_is_not_read(example_repo: Path) -> None:
    outside = example_repo.parent / f"{example_repo.name}-schema.json"
    outside.write_text('{"title": "hunter2"}', encoding="utf-8")
    schema = example_repo / "charts/cnpg-cluster/values.schema.json"
    schema.unlink(missing_ok=True)
    schema.symlink_to(outside)

    result = invoke_cli(example_repo, "validate")

    name = "charts/cnpg-cluster/values.schema.json"
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        2,
        f"{name}:1:1: error source-schema: is a symlink to a file outside the repository: "
        f"{NOT_READ}",
    )
    assert "hunter2" not in result.stdout + result.stderr


def test_a_link_out_of_the_repository_at_a_git_ref_is_not_followed(example_repo: Path) -> None:
    git(example_repo, "init", "-q", "-b", "main")
    (example_repo / "sources/apps/evil.yaml").symlink_to("/etc/hostname")
    commit = commit_all(example_repo, "a link out")
    (example_repo / "sources/apps/evil.yaml").unlink()

    result = invoke_cli(example_repo, "diff", "--against", "HEAD")

    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"error: {commit[:12]}:sources/apps/evil.yaml: is a symlink to a file outside the "
        f"repository: {NOT_READ}\n",
    )
