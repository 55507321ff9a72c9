"""The API server's own checks of an object, beyond its OpenAPI schema.

A schema says `imagePullPolicy` is a string and `requests.cpu` a string or a number; the API
server then refuses `always`, a request above its limit, `512MB`, a selector that does not select
its own template, two containers of one name. These are the checks of Kubernetes'
pkg/apis/core/validation (pod specs), pkg/apis/apps/validation and pkg/apis/batch/validation
(selectors, restart policies) and k8s.io/apimachinery (names, port names, quantities), with the
API server's wording: `field: Invalid value: "x": why`, `Unsupported value`, `Duplicate value`.
A value of the wrong type (a number for a policy) is left to the schema check, which reports it:
one defect, one finding.

Toleration operators and unknown effects are judged by the scheduling model
(`gitopsctl.kube.scheduling.parse_toleration`), which must parse a placement before it can place
it; here a toleration is only held to the Kubernetes spelling of its effect, which that model
accepts because node groups spell effects the EKS way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from gitopsctl.kube import dns
from gitopsctl.kube.quantity import parse_quantity
from gitopsctl.kube.workloads import POD_SPEC_PATHS
from gitopsctl.paths import ValuePath, format_path


class ApiProblem(NamedTuple):
    """What the API server would refuse, and the field (a path in the object) it is about."""

    path: ValuePath
    message: str


_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
_SELECTING = (*_CONTROLLERS, "Job")
_POD_RESTART = ("Always", "OnFailure", "Never")
_JOB_RESTART = ("OnFailure", "Never")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_PROTOCOLS = ("TCP", "UDP", "SCTP")
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_EKS_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
_EKS_EFFECTS["NO_EXECUTE"] = "NoExecute"
_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
# Names that are path segments, not DNS names (`system:controller:x` is a ClusterRole).
_PATH_SEGMENT_NAMED = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
_PORT_NAME_MAX = 15
# The container lists in the order the API server validates them: a duplicate is reported on
# the later list (an init container named like a container, not the container).
_CONTAINER_LISTS = (
    ("containers", "container"),
    ("initContainers", "init container"),
    ("ephemeralContainers", "ephemeral container"),
)


def object_problems(body: Mapping[str, Any]) -> list[ApiProblem]:
    """What the API server refuses in an object: its name, and its pod template and selector."""
    kind = str(body.get("kind", ""))
    problems = list(_name_problems(kind, body.get("metadata")))
    if kind in _SELECTING:
        problems.extend(_selector_problems(kind, body))
    spec_path = POD_SPEC_PATHS.get(kind)
    spec = _get(body, spec_path) if spec_path else None
    if spec_path is not None and isinstance(spec, Mapping):
        problems.extend(pod_spec_problems(kind, spec, spec_path))
        if kind in ("Job", "CronJob"):
            problems.extend(_job_restart_problems(body, spec.get("restartPolicy"), spec_path))
    return problems


# --- names ---------------------------------------------------------------------------------------


def _name_problems(kind: str, metadata: Any) -> Iterator[ApiProblem]:
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not name:
        return  # absent (generateName), or the schema's concern
    problem, what = _name_rule(kind, name)
    if problem is not None:
        yield ApiProblem(
            ("metadata", "name"), _invalid("metadata.name", name, f"{what}: {problem}")
        )


def _name_rule(kind: str, name: str) -> tuple[str | None, str]:
    """Why a kind's object may not have this name, and what names of that kind must be."""
    if kind == "Service":
        return dns.rfc1035_label_problem(name), "not a DNS-1035 label"
    if kind == "Namespace":
        return dns.label_problem(name), "not a DNS-1123 label"
    if kind in _PATH_SEGMENT_NAMED:
        return _path_segment_problem(name), "not a path segment name"
    return dns.subdomain_problem(name), "not a DNS-1123 subdomain"


def _path_segment_problem(name: str) -> str | None:
    if name in (".", ".."):
        return f"it may not be {name!r}"
    bad = next((c for c in ("/", "%") if c in name), None)
    return f"it may not contain {bad!r}" if bad else None


# --- selectors -----------------------------------------------------------------------------------


def _selector_problems(kind: str, body: Mapping[str, Any]) -> Iterator[ApiProblem]:
    selector = _get(body, ("spec", "selector"))
    if not isinstance(selector, Mapping):
        return  # absent: required by the schema, generated for a Job
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(expressions, list):
        return
    if not match_labels and not expressions:
        if kind != "Job":
            # ReplicaSets share the Deployment's words in apps validation.
            named = "deployment" if kind == "ReplicaSet" else kind.lower()
            why = f"empty selector is invalid for {named}"
            yield ApiProblem(("spec", "selector"), f"spec.selector: Invalid value: {{}}: {why}")
        return
    invalid = list(_expression_problems(expressions))
    yield from invalid
    labels = _get(body, ("spec", "template", "metadata", "labels"))
    labels = labels if isinstance(labels, Mapping) else {}
    if not invalid and not _selects(match_labels, expressions, labels):
        path: ValuePath = ("spec", "template", "metadata", "labels")
        shown = ", ".join(f"{key}={value}" for key, value in labels.items()) or "none"
        message = (
            f"spec.template.metadata.labels: Invalid value: {{{shown}}}: "
            "`selector` does not match template `labels`"
        )
        yield ApiProblem(path, message)


def _expression_problems(expressions: list[Any]) -> Iterator[ApiProblem]:
    for index, expression in enumerate(expressions):
        operator = expression.get("operator") if isinstance(expression, Mapping) else None
        if isinstance(operator, str) and operator not in _SELECTOR_OPERATORS:
            path: ValuePath = ("spec", "selector", "matchExpressions", index, "operator")
            yield ApiProblem(
                path, _invalid(format_path(path), operator, "not a valid selector operator")
            )


def _selects(
    match_labels: Mapping[str, Any], expressions: list[Any], labels: Mapping[str, Any]
) -> bool:
    """Whether a label selector matches a set of labels (every requirement holds)."""
    if any(key not in labels or labels[key] != value for key, value in match_labels.items()):
        return False
    return all(_expression_holds(expression, labels) for expression in expressions)


def _expression_holds(expression: Any, labels: Mapping[str, Any]) -> bool:
    if not isinstance(expression, Mapping):
        return True  # the schema's concern
    key, operator = expression.get("key"), expression.get("operator")
    if not isinstance(key, str):
        return True  # the schema's concern
    values = expression.get("values")
    values = values if isinstance(values, list) else []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    return present if operator == "Exists" else not present


# --- pod specs -----------------------------------------------------------------------------------


def pod_spec_problems(kind: str, spec: Mapping[str, Any], base: ValuePath) -> list[ApiProblem]:
    """What the API server refuses in a pod spec found at ``base`` in an object of ``kind``."""
    problems = list(_restart_policy_problems(kind, spec.get("restartPolicy"), base))
    problems.extend(_container_problems(spec, base))
    path = (*base, "tolerations")
    problems.extend(toleration_problems(spec.get("tolerations"), path))
    return problems


def _restart_policy_problems(kind: str, policy: Any, base: ValuePath) -> Iterator[ApiProblem]:
    if not isinstance(policy, str) or policy == "" or kind in ("Job", "CronJob"):
        return  # defaulted to Always; a Job's is judged with the Job; a number is the schema's
    allowed = ("Always",) if kind in _CONTROLLERS else _POD_RESTART
    if policy not in allowed:
        path = (*base, "restartPolicy")
        yield ApiProblem(path, _unsupported(format_path(path), policy, allowed))


def _job_restart_problems(
    body: Mapping[str, Any], policy: Any, base: ValuePath
) -> Iterator[ApiProblem]:
    """A Job's pods must not restart in place: OnFailure or Never, said explicitly, and Never
    when a podFailurePolicy decides what a failure means."""
    path = (*base, "restartPolicy")
    where = format_path(path)
    job_spec = base[:-2]  # the spec that holds template.spec
    if policy in (None, "", "Always"):
        yield ApiProblem(path, f'{where}: Required value: valid values: "OnFailure", "Never"')
    elif isinstance(policy, str) and policy not in _JOB_RESTART:
        yield ApiProblem(path, _unsupported(where, policy, _JOB_RESTART))
    elif policy != "Never" and _get(body, (*job_spec, "podFailurePolicy")) is not None:
        why = 'only "Never" is supported when podFailurePolicy is specified'
        yield ApiProblem(path, _invalid(where, str(policy), why))


def _container_problems(spec: Mapping[str, Any], base: ValuePath) -> Iterator[ApiProblem]:
    names: set[str] = set()
    for field, what in _CONTAINER_LISTS:
        containers = spec.get(field)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if not isinstance(container, Mapping):
                continue
            path = (*base, field, index)
            name = container.get("name")
            label = f'{what} "{name}"'
            if isinstance(name, str) and name in names:
                yield ApiProblem((*path, "name"), f'{label}: name: Duplicate value: "{name}"')
            names.add(str(name))
            yield from container_problems(container, path, label, field)
    yield from _host_port_problems(spec, base)


def container_problems(
    container: Mapping[str, Any], path: ValuePath, label: str, field: str = "containers"
) -> Iterator[ApiProblem]:
    """One container's enums, ports and resources; ``label`` names it in messages."""
    policy = container.get("imagePullPolicy")
    if isinstance(policy, str) and policy and policy not in _PULL_POLICIES:
        yield _at(
            path,
            label,
            ("imagePullPolicy",),
            _unsupported("imagePullPolicy", policy, _PULL_POLICIES),
        )
    yield from _container_restart_problems(container.get("restartPolicy"), path, label, field)
    if field != "ephemeralContainers":  # ephemeral containers may have neither
        yield from _port_problems(container.get("ports"), path, label)
        yield from resources_problems(container.get("resources"), (*path, "resources"), label=label)


def _container_restart_problems(
    policy: Any, path: ValuePath, label: str, field: str
) -> Iterator[ApiProblem]:
    if policy is None or field == "ephemeralContainers":
        return
    if field == "containers":
        yield _at(
            path,
            label,
            ("restartPolicy",),
            "restartPolicy: Forbidden: may not be set for non-init containers",
        )
    elif isinstance(policy, str) and policy != "Always":
        yield _at(
            path, label, ("restartPolicy",), _unsupported("restartPolicy", policy, ("Always",))
        )


def _at(path: ValuePath, label: str, field: ValuePath, message: str) -> ApiProblem:
    return ApiProblem((*path, *field), f"{label}: {message}")


# --- ports ---------------------------------------------------------------------------------------


def _port_problems(ports: Any, path: ValuePath, label: str) -> Iterator[ApiProblem]:
    if not isinstance(ports, list):
        return
    names: set[str] = set()
    for index, port in enumerate(ports):
        if not isinstance(port, Mapping):
            continue
        where = ("ports", index)
        name = port.get("name")
        if isinstance(name, str) and name:
            problems = port_name_problems(name)
            field = format_path((*where, "name"))
            if problems:
                message = _invalid(field, name, "; ".join(problems))
                yield _at(path, label, (*where, "name"), message)
            elif name in names:
                yield _at(path, label, (*where, "name"), f'{field}: Duplicate value: "{name}"')
            names.add(name)
        protocol = port.get("protocol")
        if isinstance(protocol, str) and protocol and protocol not in _PROTOCOLS:
            field = format_path((*where, "protocol"))
            yield _at(path, label, (*where, "protocol"), _unsupported(field, protocol, _PROTOCOLS))


def port_name_problems(name: str) -> list[str]:
    """Why a port name is not an IANA service name (apimachinery's IsValidPortName)."""
    problems = []
    if len(name) > _PORT_NAME_MAX:
        problems.append(f"must be no more than {_PORT_NAME_MAX} characters")
    if not all(c == "-" or (c.isascii() and (c.islower() or c.isdigit())) for c in name):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    elif not any(c.isalpha() for c in name):
        problems.append("must contain at least one letter (a-z)")
    if "--" in name:
        problems.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return problems


def _host_port_problems(spec: Mapping[str, Any], base: ValuePath) -> Iterator[ApiProblem]:
    """Two containers of a pod may not claim one host port (an init container only itself)."""
    containers = spec.get("containers")
    if isinstance(containers, list):
        yield from _host_port_conflicts(containers, (*base, "containers"), range(len(containers)))
    init = spec.get("initContainers")
    if isinstance(init, list):
        for index in range(len(init)):
            yield from _host_port_conflicts(init, (*base, "initContainers"), [index])


def _host_port_conflicts(
    containers: list[Any], base: ValuePath, indexes: Sequence[int]
) -> Iterator[ApiProblem]:
    claimed: set[str] = set()
    for index in indexes:
        container = containers[index]
        ports = container.get("ports") if isinstance(container, Mapping) else None
        for number, port in enumerate(ports if isinstance(ports, list) else []):
            host_port = port.get("hostPort") if isinstance(port, Mapping) else None
            if not isinstance(host_port, int) or isinstance(host_port, bool) or host_port == 0:
                continue
            key = f"{port.get('protocol') or 'TCP'}/{port.get('hostIP') or ''}/{host_port}"
            if key in claimed:
                field = ("ports", number, "hostPort")
                label = f'container "{container.get("name")}"'
                message = f'{format_path(field)}: Duplicate value: "{key}"'
                yield _at((*base, index), label, field, message)
            claimed.add(key)


# --- resources -----------------------------------------------------------------------------------


def resources_problems(
    resources: Any, path: ValuePath, field: str = "resources", label: str | None = None
) -> Iterator[ApiProblem]:
    """Quantities that do not parse or are negative, and requests above their limits. ``field``
    names the block in messages, ``label`` (a container) leads them when given."""
    if not isinstance(resources, Mapping):
        return
    limits = dict(_quantities(resources.get("limits")))
    requests = dict(_quantities(resources.get("requests")))
    lead = f"{label}: " if label else ""
    for part, parsed in (("limits", limits), ("requests", requests)):
        for name, (value, quantity) in parsed.items():
            problem = _quantity_problem(quantity)
            if problem is not None:
                message = _invalid(f"{field}.{part}.{name}", str(value), problem)
                yield ApiProblem((*path, part, name), lead + message)
    for name, (value, quantity) in requests.items():
        limit = limits.get(name)
        if isinstance(quantity, Decimal) and limit is not None and isinstance(limit[1], Decimal):
            problem = _over_limit(name, quantity, limit[1], str(limit[0]))
            if problem is not None:
                message = _invalid(f"{field}.requests.{name}", str(value), problem)
                yield ApiProblem((*path, "requests", name), lead + message)


def _quantities(block: Any) -> Iterator[tuple[str, tuple[Any, Decimal | str]]]:
    """Each resource's value as written, and its quantity or why it does not parse."""
    if not isinstance(block, Mapping):
        return
    for name, value in block.items():
        if value is None:
            continue
        yield str(name), (value, _parsed(value))


def _parsed(value: Any) -> Decimal | str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return "a quantity is a string or a number"
    try:
        return parse_quantity(str(value))
    except ValueError as error:
        return str(error)


def _quantity_problem(quantity: Decimal | str) -> str | None:
    if isinstance(quantity, str):
        return quantity
    return "must be greater than or equal to 0" if quantity < 0 else None


def _over_limit(name: str, request: Decimal, limit: Decimal, shown_limit: str) -> str | None:
    """Native resources may be overcommitted (request up to the limit); extended ones and huge
    pages may not (request equal to the limit)."""
    if not _overcommit_allowed(name) and request != limit:
        return f"must be equal to {name} limit of {shown_limit}"
    if request > limit:
        return f"must be less than or equal to {name} limit of {shown_limit}"
    return None


def _overcommit_allowed(name: str) -> bool:
    native = "/" not in name or "kubernetes.io/" in name
    return native and not name.startswith("hugepages-")


# --- tolerations ---------------------------------------------------------------------------------


def toleration_problems(tolerations: Any, path: ValuePath) -> Iterator[ApiProblem]:
    """Tolerations spelling an effect the EKS way: node groups take it, pods do not."""
    if not isinstance(tolerations, list):
        return
    for index, toleration in enumerate(tolerations):
        effect = toleration.get("effect") if isinstance(toleration, Mapping) else None
        if isinstance(effect, str) and effect in _EKS_EFFECTS:
            field = format_path((*path, index, "effect"))
            unsupported = _unsupported(field, effect, _EFFECTS)
            message = (
                f"{unsupported} ({effect} is the EKS node group spelling; a pod's toleration "
                f"says {_EKS_EFFECTS[effect]})"
            )
            yield ApiProblem((*path, index, "effect"), message)


# --- messages ------------------------------------------------------------------------------------


def _invalid(field: str, value: str, why: str) -> str:
    return f'{field}: Invalid value: "{value}": {why}'


def _unsupported(field: str, value: Any, supported: Sequence[str]) -> str:
    values = ", ".join(f'"{item}"' for item in supported)
    return f'{field}: Unsupported value: "{value}": supported values: {values}'


def _get(node: Any, path: ValuePath) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node
