"""What the API server refuses beyond the schema: requests over limits, bad quantities and enums.

A manifest can match its OpenAPI schema and still be refused when Argo CD applies it: the API
server runs its own validation (Kubernetes' pkg/apis/*/validation), and the sync fails. This rule
runs those checks, with the API server's wording, at the field to change:

- a container's request above its limit (after Helm merged the chart's defaults with the
  values: whatever the rendered pod spec says), a quantity that does not parse (`512MB`, `1K`)
  or is negative;
- enums: `imagePullPolicy` (Always, IfNotPresent, Never), the pod's `restartPolicy` (Always for
  Deployments, StatefulSets, DaemonSets and ReplicaSets; OnFailure or Never, and required, for
  Jobs), a container's `restartPolicy` (only `Always`, only on an init container), a port's
  `protocol` (TCP, UDP, SCTP), and a toleration's effect in Kubernetes' spelling (`NO_SCHEDULE`
  is how EKS node groups spell it; in a pod it is `NoSchedule`). Unknown toleration operators
  and effects are `taint-toleration`'s: it cannot place such a pod;
- a workload selector that does not select its own template's labels, or is empty;
- two containers of one pod (containers, init and ephemeral containers) with one name, two
  ports of a container with one name, two containers claiming one host port, a port name that
  is not an IANA service name (at most 15 characters: a-z, 0-9 and '-', at least one letter, no
  '-' at either end or twice in a row);
- an object name the API server refuses: a DNS-1123 subdomain for most kinds, a DNS-1123 label
  for a Namespace, a DNS-1035 label (starting with a letter) for a Service, a path segment for
  RBAC roles and bindings.

With `--manifests` and `--helm` every object is checked. In the repository, the rule checks what
the sources put into pods: the toleration effects of each workload, and its requests and limits
where the chart profile says the chart keeps them (`resources:` of a workload in
`sources/profiles/`); a limit from the chart's own defaults is only known after `--helm`.

Passing:

    containers:
      - name: retool
        imagePullPolicy: IfNotPresent
        resources:
          requests: {cpu: "2", memory: 12Gi}
          limits: {cpu: 4096m, memory: 14Gi}

Failing (the request is above the chart's limit, `MB` is no quantity suffix, and `always` is
not a pull policy):

    containers:
      - name: retool
        imagePullPolicy: always
        resources:
          requests: {cpu: "6", memory: 512MB}
          limits: {cpu: 4096m}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.apivalidation import object_problems
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Document, Environment

ID = "api-validation"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for document in env.documents:
        yield from _document_hits(document)
    for workload in env.workloads:
        name = f"workload {workload.name!r} ({workload.kind})"
        for problem in workload.api_problems:
            yield Hit(workload.locate(problem.path), f"{name}: {problem.message}", workload.app)


def _document_hits(document: Document) -> Iterator[Hit]:
    problems = document.api_problems
    if problems is None:
        if not document.kind or not document.api_version or document.schema_file is not None:
            return  # chart values, not a Kubernetes object
        problems = tuple(object_problems(document.body))
    for problem in problems:
        message = f"{document.name}: {problem.message}"
        yield Hit(document.locate(problem.path), message, document.app)
