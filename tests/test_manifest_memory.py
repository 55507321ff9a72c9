"""`validate --manifests` streams: memory grows with what it must remember, not with the input.

A stream is parsed from its bytes one document at a time; each object is checked against its
schema as it is read and then dropped. Peak memory is measured as the child process's maximum
resident set size, above a run on a small stream of the same objects.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import PROJECT

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{index}
  namespace: shop
  labels: {{app.kubernetes.io/name: web, app.kubernetes.io/instance: web-{index}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web-{index}}}
  template:
    metadata:
      labels: {{app: web-{index}}}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4.2
          ports: [{{containerPort: 8080, protocol: TCP}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {{app: web-{index}}}
"""
MIB = 1024 * 1024
# Nodes enough for all of them, so that the run is clean (the capacity rule packs every pod).
NODE_GROUPS = (
    "nodeGroups:\n  - {name: shop, instanceTypes: [m5.8xlarge], maxSize: 60, desiredSize: 60}\n"
)


def _stream(folder: Path, count: int) -> Path:
    path = folder / f"deployments-{count}.yaml"
    path.write_text("---\n".join(DEPLOYMENT.format(index=i) for i in range(count)), "utf-8")
    return path


def _peak_bytes(stream: Path) -> int:
    groups = stream.with_name("node-groups.yaml")
    groups.write_text(NODE_GROUPS, encoding="utf-8")
    command = [
        *(sys.executable, str(PROJECT / "render.py"), "validate"),
        *("--manifests", str(stream), "--node-groups", str(groups)),
    ]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss * 1024  # KiB on Linux


def test_a_long_stream_costs_a_few_times_its_size(tmp_path: Path) -> None:
    small, large = _stream(tmp_path, 100), _stream(tmp_path, 6000)
    grown = _peak_bytes(large) - _peak_bytes(small)
    size = large.stat().st_size
    assert size > 4 * MIB
    # Holding every object as parsed costs about 25 times the stream's size.
    assert grown < 6 * size, f"peak grew by {grown / MIB:.0f} MiB for {size / MIB:.0f} MiB"
