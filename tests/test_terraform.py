"""Node groups read from Terraform: the EKS module and its node group module, both taint forms,
variables and locals, and what is unusable (exit 2 at its line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke_cli
from tests.support import copy_example, edit, line_of

EKS_CLUSTER = """\
variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "large_type" {
  default = "m6i.2xlarge"
}

variable "subnets" {
  type = list(string)
}

locals {
  dedicated = "workload-type"
  database  = { (local.dedicated) = "database" }
  max_nodes = 6
}

module "eks" {
  source  = "registry.terraform.io/terraform-aws-modules/eks/aws"
  version = "~> 20.0"

  subnet_ids = var.subnets

  eks_managed_node_group_defaults = {
    instance_types = ["t3.large"]
    max_size       = local.max_nodes
  }

  eks_managed_node_groups = {
    workload = {
      min_size     = 2
      desired_size = 3
    }
    db = {
      name           = "database"
      instance_types = ["r6i.large"]
      labels         = local.database
      taints = {
        dedicated = {
          key    = local.dedicated
          value  = "database"
          effect = "NO_SCHEDULE"
        }
      }
    }
    large = {
      instance_types = [var.large_type]
      ami_type       = "AL2023_ARM_64_STANDARD"
      labels         = { "workload-type" = "large", "zone-hint" = "${var.region}a" }
      taints = [
        { key = "workload-type", value = "large", effect = "NO_EXECUTE" },
      ]
    }
  }
}
"""

STANDALONE_GROUP = """\
module "batch" {
  source = "terraform-aws-modules/eks/aws//modules/eks-managed-node-group"

  cluster_name   = module.eks.cluster_name
  instance_types = ["c6i.xlarge"]
  min_size       = 0
  max_size       = 10
  desired_size   = 1
  labels         = { pool = "batch" }
  taints         = [{ key = "pool", value = "batch", effect = "NO_SCHEDULE" }]
}
"""

EXPECTED_GROUPS: list[dict[str, Any]] = [
    {
        "name": "workload",
        "labels": {},
        "taints": [],
        "instanceTypes": ["t3.large"],
        "arch": "amd64",
        "minSize": 2,
        "maxSize": 6,
        "desiredSize": 3,
    },
    {
        "name": "database",
        "labels": {"workload-type": "database"},
        "taints": [{"key": "workload-type", "value": "database", "effect": "NoSchedule"}],
        "instanceTypes": ["r6i.large"],
        "arch": "amd64",
        "minSize": 0,
        "maxSize": 6,
        "desiredSize": 1,
    },
    {
        "name": "large",
        "labels": {"workload-type": "large", "zone-hint": "eu-west-1a"},
        "taints": [{"key": "workload-type", "value": "large", "effect": "NoExecute"}],
        "instanceTypes": ["m6i.2xlarge"],
        "arch": "arm64",
        "minSize": 0,
        "maxSize": 6,
        "desiredSize": 1,
    },
    {
        "name": "batch",
        "labels": {"pool": "batch"},
        "taints": [{"key": "pool", "value": "batch", "effect": "NoSchedule"}],
        "instanceTypes": ["c6i.xlarge"],
        "arch": "amd64",
        "minSize": 0,
        "maxSize": 10,
        "desiredSize": 1,
    },
]


def terraform(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def node_groups(repo: Path, *args: str) -> tuple[int, Any, str]:
    result = invoke_cli(repo, "node-groups", "--format", "json", *args)
    data = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, data, result.stderr


def test_eks_module_and_standalone_node_group_module(tmp_path: Path) -> None:
    folder = terraform(tmp_path / "tf", **{"eks.tf": EKS_CLUSTER, "batch.tf": STANDALONE_GROUP})
    # batch.tf is read before eks.tf: files in name order, groups in their order there
    expected = [EXPECTED_GROUPS[3], *EXPECTED_GROUPS[:3]]
    assert node_groups(tmp_path, "--terraform", str(folder)) == (0, {"nodeGroups": expected}, "")


def test_yaml_output_is_the_node_groups_file_format(tmp_path: Path) -> None:
    folder = terraform(tmp_path / "tf", **{"batch.tf": STANDALONE_GROUP})
    result = invoke_cli(tmp_path, "node-groups", "--terraform", str(folder))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "nodeGroups:\n"
        "  - name: batch\n"
        "    labels:\n"
        "      pool: batch\n"
        "    taints:\n"
        "      - key: pool\n"
        "        value: batch\n"
        "        effect: NoSchedule\n"
        "    instanceTypes:\n"
        "      - c6i.xlarge\n"
        "    arch: amd64\n"
        "    minSize: 0\n"
        "    maxSize: 10\n"
        "    desiredSize: 1\n"
    )
    # ... which `validate --manifests --node-groups FILE` reads back
    (tmp_path / "groups.yaml").write_text(result.stdout, encoding="utf-8")
    repo = copy_example(tmp_path / "repo")
    (tmp_path / "pod.yaml").write_text(POD_ON_BATCH, encoding="utf-8")
    checked = invoke_cli(
        repo, "validate", "--manifests", str(tmp_path / "pod.yaml"),
        "--node-groups", str(tmp_path / "groups.yaml"),
    )  # fmt: skip
    assert (checked.exit_code, checked.stdout) == (0, "no findings\n")


POD_ON_BATCH = """\
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: batch}
spec:
  nodeSelector: {pool: batch}
  tolerations: [{key: pool, value: batch, effect: NoSchedule}]
  containers: [{name: job, image: job:1}]
"""


def test_validate_takes_a_terraform_folder_as_node_groups(tmp_path: Path) -> None:
    folder = terraform(tmp_path / "tf", **{"batch.tf": STANDALONE_GROUP})
    repo = copy_example(tmp_path / "repo")
    pod = POD_ON_BATCH.replace(
        "  tolerations: [{key: pool, value: batch, effect: NoSchedule}]\n", ""
    )
    (tmp_path / "pod.yaml").write_text(pod, encoding="utf-8")
    result = invoke_cli(
        repo, "validate", "--manifests", str(tmp_path / "pod.yaml"), "--node-groups", str(folder)
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"{tmp_path / 'pod.yaml'}:4:1: error taint-toleration: workload 'Pod/batch/job' (Pod) "
        "fits no node group: batch: does not tolerate taint pool=batch:NoSchedule"
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        pytest.param(
            "      desired_size = 3\n",
            "      desired_size = module.vpc.size\n",
            34,
            "node group 'workload': desired_size: cannot resolve module.vpc.size: desired_size is "
            "read only from literals, var.NAME with a default and local.NAME",
            id="module-output",
        ),
        pytest.param(
            '    instance_types = ["t3.large"]\n',
            "    instance_types = var.subnets\n",
            27,
            "node group 'workload': instance_types: cannot resolve var.subnets (var.subnets has "
            "no default): instance_types is read only from literals, var.NAME with a default and "
            "local.NAME",
            id="variable-without-default",
        ),
        pytest.param(
            "  max_nodes = 6\n",
            "  max_nodes = max(3, 6)\n",
            28,
            "node group 'workload': max_size: cannot resolve local.max_nodes = max(3, 6) at "
            "tf/eks.tf:17: max_size is read only from literals, var.NAME with a default and "
            "local.NAME",
            id="local-with-a-function",
        ),
        pytest.param(
            '          effect = "NO_SCHEDULE"\n',
            '          effect = "SOMETIMES"\n',
            40,
            "node group 'database': taints: unknown taint effect 'SOMETIMES': expected "
            "NoSchedule, PreferNoSchedule or NoExecute (or the EKS/Terraform spelling "
            "NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE)",
            id="unknown-effect",
        ),
        pytest.param(
            "      min_size     = 2\n",
            '      min_size     = "two"\n',
            33,
            "node group 'workload': min_size: must be a whole number, not 'two'",
            id="size-not-a-number",
        ),
        pytest.param(
            "    workload = {\n",
            '    workload = {\n      name = "large"\n',
            49,
            "node group 'large' is defined twice (first at tf/eks.tf:32)",
            id="duplicate-name",
        ),
    ],
)
def test_unusable_node_group_attribute_is_exit_2_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, line: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # --terraform DIR is relative to the working folder
    assert EKS_CLUSTER.count(old) == 1
    terraform(tmp_path / "tf", **{"eks.tf": EKS_CLUSTER.replace(old, new)})
    result = invoke_cli(tmp_path, "node-groups", "--terraform", "tf")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"error: tf/eks.tf:{line}: {message}\n",
    )


def test_what_node_groups_do_not_read_may_be_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = EKS_CLUSTER.replace(
        "  subnet_ids = var.subnets\n",
        '  subnet_ids = var.subnets\n  tags = merge(local.tags, { x = "${module.y.z}" })\n',
    )
    terraform(tmp_path / "tf", **{"eks.tf": text})
    assert node_groups(tmp_path, "--terraform", "tf") == (
        0,
        {"nodeGroups": EXPECTED_GROUPS[:3]},
        "",
    )


def test_hcl_syntax_error_is_exit_2_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    terraform(tmp_path / "tf", **{"eks.tf": EKS_CLUSTER.replace("  version = ", "  version == ")})
    result = invoke_cli(tmp_path, "node-groups", "--terraform", "tf")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: tf/eks.tf:22:11: not valid HCL: Unexpected token Token('DOUBLE_EQ', '==')\n"
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {"vpc.tf": 'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n'},
            "no node groups: no module with source terraform-aws-modules/eks/aws (with "
            "eks_managed_node_groups) or terraform-aws-modules/eks/aws//modules/"
            "eks-managed-node-group in its .tf files",
            id="no-eks-module",
        ),
        pytest.param(
            {"README.md": "# infra\n"}, "no .tf files in the Terraform folder", id="no-tf"
        ),
    ],
)
def test_platform_pointing_at_a_folder_without_node_groups_is_exit_2(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    repo = copy_example(tmp_path)
    for path in (repo / "infrastructure").iterdir():
        path.unlink()
    terraform(repo / "infrastructure", **files)
    for command in (["node-groups"], ["render", "--check"]):
        result = invoke_cli(repo, *command)
        assert (result.exit_code, result.stderr) == (2, f"error: infrastructure: {message}\n")


PLATFORM = "sources/platform.yaml"


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        pytest.param(
            "../elsewhere",
            "nodeGroups.terraform: '../elsewhere' is outside the repository: it is not read",
            id="parent-folder",
        ),
        pytest.param(
            "terraform", "nodeGroups.terraform: no folder terraform in the repository", id="missing"
        ),
    ],
)
def test_platform_folder_must_be_in_the_repository(
    tmp_path: Path, folder: str, message: str
) -> None:
    repo = copy_example(tmp_path / "repo")
    edit(repo, PLATFORM, "terraform: infrastructure", f"terraform: {folder}")
    line = line_of(repo, PLATFORM, f"terraform: {folder}")
    result = invoke_cli(repo, "node-groups")
    assert (result.exit_code, result.stderr) == (2, f"error: {PLATFORM}:{line}:3: {message}\n")


@pytest.mark.parametrize("linked", ["infrastructure", "infrastructure/main.tf"])
def test_a_link_out_of_the_repository_is_not_read(tmp_path: Path, linked: str) -> None:
    repo = copy_example(tmp_path / "repo")
    outside = tmp_path / "outside"
    (outside / "infrastructure").mkdir(parents=True)
    source = repo / linked
    target = outside / linked
    source.rename(target)
    source.symlink_to(target, target_is_directory=target.is_dir())
    what = "folder" if target.is_dir() else "file"
    result = invoke_cli(repo, "node-groups")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {linked}: is a symlink to a {what} outside the repository: it is not read "
        "(copy what it points to into the repository)\n",
    )


def test_the_example_platform_reads_its_node_groups_from_terraform(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    code, data, stderr = node_groups(repo)
    from_folder = node_groups(repo, "--terraform", str(repo / "infrastructure"))
    assert (code, stderr, from_folder) == (0, "", (0, data, ""))
    assert [
        (group["name"], group["labels"], group["instanceTypes"], group["desiredSize"])
        for group in data["nodeGroups"]
    ] == [
        ("workload", {}, ["t3.large", "t3.xlarge"], 3),
        ("database", {"workload-type": "database"}, ["r6i.large"], 3),
        ("large", {"workload-type": "large"}, ["m6i.2xlarge"], 3),
    ]


def test_a_taint_changed_in_terraform_changes_the_rendered_placement(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    edit(
        repo, "infrastructure/main.tf", '          value  = "large"\n', '          value  = "xl"\n'
    )
    result = invoke_cli(repo, "render", "--check")
    assert result.exit_code == 1
    assert "-    value: large\n+    value: xl\n" in result.stdout


def test_diff_against_a_ref_reads_the_terraform_at_that_ref(tmp_path: Path) -> None:
    from tests.test_diff import commit_all, git

    repo = copy_example(tmp_path)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo)
    edit(
        repo, "infrastructure/main.tf", '          value  = "large"\n', '          value  = "xl"\n'
    )
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert '      value tolerations[0].value: "large" -> "xl"' in lines
    assert "prod: 0 added, 0 removed, 2 changed, 13 unchanged" in lines
