"""The node groups read from Terraform are kept in the results cache under the digest of the
`.tf` files: found again while no file changed, read again as soon as one does, never kept for a
folder that does not read, and an entry this tool did not write is not used."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gitopsctl.errors import InputError
from gitopsctl.kube.scheduling import Taint
from gitopsctl.render import cache, terraform_cache
from gitopsctl.sources.files import read_sources
from tests.support import copy_example, edit

ENTRY = Path(".gitopsctl/cache/node-groups.json")
LARGE_TAINT = '          value  = "large"\n'


pytestmark = pytest.mark.usefixtures("caches_on")


def large_taints(repo: Path) -> tuple[Taint, ...]:
    groups = read_sources(repo, terraform_cache.node_groups).terraform_node_groups
    assert groups is not None
    return next(group.taints for group in groups if group.name == "large")


def test_groups_read_once_are_found_again_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = copy_example(tmp_path)
    first = read_sources(repo, terraform_cache.node_groups).terraform_node_groups
    assert (repo / ENTRY).is_file()

    def no_parse(folder: Path, shown: str) -> None:
        raise AssertionError(f"{shown} parsed again")

    monkeypatch.setattr("gitopsctl.sources.terraform.read_node_groups", no_parse)
    assert read_sources(repo, terraform_cache.node_groups).terraform_node_groups == first
    assert large_taints(repo) == (Taint("workload-type", "large", "NoSchedule"),)


def test_an_edited_tf_file_is_read_again(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    large_taints(repo)
    edit(repo, "infrastructure/main.tf", LARGE_TAINT, '          value  = "xl"\n')
    assert large_taints(repo) == (Taint("workload-type", "xl", "NoSchedule"),)


def test_a_folder_that_does_not_read_is_diagnosed_every_time(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    large_taints(repo)
    edit(repo, "infrastructure/main.tf", LARGE_TAINT, '          value  = "large\n')
    for _ in range(2):
        with pytest.raises(InputError) as raised:
            read_sources(repo, terraform_cache.node_groups)
        assert [(p.file, p.message[:14]) for p in raised.value.problems] == [
            ("infrastructure/main.tf", "not valid HCL:")
        ]


@pytest.mark.parametrize(
    "tampered",
    [
        [{"name": "large"}],  # not the fields of a node group
        "groups",
        [None],
    ],
)
def test_an_entry_this_tool_did_not_write_is_not_used(tmp_path: Path, tampered: object) -> None:
    repo = copy_example(tmp_path)
    expected = large_taints(repo)
    entry = json.loads((repo / ENTRY).read_text())
    cache.store(repo, terraform_cache.ENTRY, entry["key"], tampered)
    assert large_taints(repo) == expected
    assert json.loads(json.loads((repo / ENTRY).read_text())["payload"])[0]["name"] == "workload"


def test_a_taint_in_an_entry_is_checked_too(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    expected = large_taints(repo)
    entry = json.loads((repo / ENTRY).read_text())
    payload = json.loads(entry["payload"])
    payload[2]["taints"] = [["workload-type", 3, "NoSchedule"]]
    cache.store(repo, terraform_cache.ENTRY, entry["key"], payload)
    assert large_taints(repo) == expected


def test_nothing_is_kept_when_the_cache_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    repo = copy_example(tmp_path)
    assert large_taints(repo) == (Taint("workload-type", "large", "NoSchedule"),)
    assert not (repo / ".gitopsctl").exists()


def test_the_parser_is_not_imported_when_the_groups_are_cached(tmp_path: Path) -> None:
    import subprocess

    repo = copy_example(tmp_path)
    large_taints(repo)
    program = (
        "import sys; from pathlib import Path; from gitopsctl.pipeline import load_and_render; "
        f"load_and_render(Path({str(repo)!r})); print('hcl2' in sys.modules)"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    found = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True
    )
    assert found.stdout == "False\n"


def test_an_entry_behind_a_linked_working_folder_is_never_read(tmp_path: Path) -> None:
    """A `.gitopsctl` that links out of the repository (a hostile checkout) is not followed."""
    repo = copy_example(tmp_path / "repo")
    large_taints(repo)  # the real entry, written in the repository's own working folder
    outside = tmp_path / "outside"
    (repo / ".gitopsctl").rename(outside)
    entry = json.loads((outside / "cache/node-groups.json").read_text())
    payload = json.loads(entry["payload"])
    payload[2]["taints"] = [["workload-type", "planted", "NoSchedule"]]
    (tmp_path / "elsewhere").mkdir()
    cache.store(tmp_path / "elsewhere", terraform_cache.ENTRY, entry["key"], payload)
    planted = tmp_path / "elsewhere/.gitopsctl/cache/node-groups.json"
    (outside / "cache/node-groups.json").write_bytes(planted.read_bytes())
    (repo / ".gitopsctl").symlink_to(outside, target_is_directory=True)
    assert large_taints(repo) == (Taint("workload-type", "large", "NoSchedule"),)
