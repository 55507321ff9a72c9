"""Where a pod may run: taints, tolerations, nodeSelector and required node affinity.

The verdicts follow the Kubernetes scheduler's filters (TaintToleration and NodeAffinity) and the
API server's validation of the same fields, so a pod this module places on a node group is one
the real cluster would schedule there, and a pod spec the API server would reject is a
``ValueError`` here rather than a silent verdict.

- A toleration matches a taint when its effect is empty or equal to the taint's, its key is empty
  or equal, and its operator is ``Exists`` or ``Equal`` (the default) with an equal value.
- Only ``NoSchedule`` and ``NoExecute`` taints repel; ``PreferNoSchedule`` is a preference.
- Every ``nodeSelector`` entry must match; required ``nodeSelectorTerms`` are ORed, the
  requirements inside a term ANDed; an empty term matches nothing.

A node group stands for many nodes, so a label may have several possible values (one zone per
node) or an unknown one (the hostname). A term fits a group when some single node of it could
satisfy the term together with the nodeSelector: requirements on the same key must agree on one
value, which is stricter, and truer, than checking each requirement alone.

Besides its own labels, every node of a group carries the labels the kubelet, the cloud provider
and EKS set (Kubernetes' "Well-Known Labels, Annotations and Taints" and "Node Labels Populated By
The Kubelet"; the EKS user guide's "Managed node groups"), and charts select on them:

- ``kubernetes.io/hostname``: the node's own name, so any value; ``kubernetes.io/os`` and the
  deprecated ``beta.kubernetes.io/os``: ``linux`` (EKS node groups run Linux here);
- ``kubernetes.io/arch`` and the deprecated ``beta.kubernetes.io/arch``: Go's ``GOARCH`` of the
  node, the group's declared ``arch``, else read from its instance types (a ``g`` among the
  letters after an EC2 family's generation marks AWS Graviton, ``arm64``, as in ``m7g``,
  ``c6gn``, ``t4g``; ``a1`` is the first Graviton; others are ``amd64``), else any value;
- ``topology.kubernetes.io/zone`` and the deprecated ``failure-domain.beta.kubernetes.io/zone``:
  one of the group's zones; ``topology.kubernetes.io/region`` and the deprecated
  ``failure-domain.beta.kubernetes.io/region``: the region of those zones (``eu-west-1`` for
  ``eu-west-1a``); any value when the group lists no zones;
- ``node.kubernetes.io/instance-type`` and the deprecated ``beta.kubernetes.io/instance-type``:
  one of the group's instance types, any value when it lists none;
- ``eks.amazonaws.com/nodegroup``: the group's name; ``eks.amazonaws.com/capacityType``: the
  group's declared capacity type (``ON_DEMAND``, ``SPOT`` or ``CAPACITY_BLOCK``), else
  ``ON_DEMAND`` or ``SPOT``.

Labels EKS sets without documenting them (``eks.amazonaws.com/nodegroup-image``,
``eks.amazonaws.com/sourceLaunchTemplateId``) are not modelled: a selector on them is reported as
a label the group does not carry.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, TypeAlias

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"

_EFFECTS: dict[str, str] = {
    NO_SCHEDULE: NO_SCHEDULE,
    PREFER_NO_SCHEDULE: PREFER_NO_SCHEDULE,
    NO_EXECUTE: NO_EXECUTE,
    "NO_SCHEDULE": NO_SCHEDULE,
    "PREFER_NO_SCHEDULE": PREFER_NO_SCHEDULE,
    "NO_EXECUTE": NO_EXECUTE,
}
_BLOCKING_EFFECTS = frozenset({NO_SCHEDULE, NO_EXECUTE})

EQUAL = "Equal"
EXISTS = "Exists"
_TOLERATION_OPERATORS = (EQUAL, EXISTS)

IN, NOT_IN, DOES_NOT_EXIST, GT, LT = "In", "NotIn", "DoesNotExist", "Gt", "Lt"
_LABEL_OPERATORS = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GT, LT)
_HOLD_WHEN_ABSENT = frozenset({NOT_IN, DOES_NOT_EXIST})

OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
CAPACITY_TYPE_LABEL = "eks.amazonaws.com/capacityType"
# Deprecated spellings the kubelet and the cloud provider still set, and charts still select on.
BETA_OS_LABEL = "beta.kubernetes.io/os"
BETA_ARCH_LABEL = "beta.kubernetes.io/arch"
BETA_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone"
BETA_REGION_LABEL = "failure-domain.beta.kubernetes.io/region"
BETA_INSTANCE_TYPE_LABEL = "beta.kubernetes.io/instance-type"

ON_DEMAND, SPOT, CAPACITY_BLOCK = "ON_DEMAND", "SPOT", "CAPACITY_BLOCK"
CAPACITY_TYPES = (ON_DEMAND, SPOT, CAPACITY_BLOCK)
# What a group that declares no capacity type may be: EKS's two ordinary capacity types.
_UNDECLARED_CAPACITY = frozenset({ON_DEMAND, SPOT})
# EC2 instance type names: family letters, generation digits, attribute letters, ".", size.
_INSTANCE_FAMILY = re.compile(r"([a-z]+)([0-9]+)([a-z-]*)\.")
# An AWS zone name is its region plus a letter, or a Local Zone suffix (us-west-2-lax-1a).
_ZONE_REGION = re.compile(r"([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]+)(?:[a-z]|-.+)")
NODE_NAME_FIELD = "metadata.name"

_REQUIRED_PATH = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = re.compile(rf"({_NAME})?")
_LABEL_NAME = re.compile(_NAME)
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_INT64 = re.compile(r"[+-]?[0-9]+")
_INT64_RANGE = range(-(2**63), 2**63)

# The values a label may take on a group's nodes: a set, or None for "present, value unknown".
# A key missing from the mapping means no node of the group carries the label.
PossibleValues: TypeAlias = frozenset[str] | None


class Taint(NamedTuple):
    key: str
    value: str
    effect: str

    def __str__(self) -> str:
        effect = _EFFECTS.get(self.effect, self.effect)
        return f"{self.key}={self.value}:{effect}" if self.value else f"{self.key}:{effect}"


class Toleration(NamedTuple):
    key: str = ""
    operator: str = EQUAL
    value: str = ""
    effect: str = ""


class NodeGroup(NamedTuple):
    """A group of like nodes; what it does not say (zones, instance types, architecture,
    capacity type) may be anything on its nodes."""

    name: str
    labels: Mapping[str, str]  # its own labels, as declared; the well-known ones come on top
    taints: tuple[Taint, ...]
    zones: tuple[str, ...] = ()
    instance_types: tuple[str, ...] = ()
    arch: str | None = None
    capacity_type: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    desired_size: int | None = None


class Requirement(NamedTuple):
    key: str
    operator: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        if not self.values:
            return f"{self.key} {self.operator}"
        return f"{self.key} {self.operator} [{', '.join(self.values)}]"


class Placement(NamedTuple):
    node_selector: Mapping[str, str]
    required_terms: tuple[tuple[Requirement, ...], ...] | None
    tolerations: tuple[Toleration, ...]


# --- taints and tolerations ------------------------------------------------------------------


def normalize_effect(effect: str) -> str:
    """The Kubernetes spelling of a taint effect; "" (a toleration matching every effect) stays."""
    if effect == "":
        return ""
    try:
        return _EFFECTS[effect]
    except KeyError:
        raise ValueError(
            f"unknown taint effect {effect!r}: expected NoSchedule, PreferNoSchedule or NoExecute"
            " (or the EKS/Terraform spelling NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE)"
        ) from None


def parse_taint(obj: Mapping[str, Any]) -> Taint:
    """A taint from a Kubernetes or EKS/Terraform mapping: key, value (optional), effect."""
    mapping = _mapping(obj, "taint")
    key = _string(mapping, "key", "taint")
    if not key:
        raise ValueError("taint: key is required")
    _check_label_key(key, f"taint {key}")
    value = _string(mapping, "value", f"taint {key}")
    _check_label_value(value, f"taint {key}: value")
    effect = _string(mapping, "effect", f"taint {key}")
    if not effect:
        raise ValueError(f"taint {key}: effect is required")
    return Taint(key, value, normalize_effect(effect))


def parse_toleration(obj: Mapping[str, Any], where: str = "toleration") -> Toleration:
    """A toleration as the API server accepts it; a missing operator means Equal."""
    mapping = _mapping(obj, where)
    toleration = Toleration(
        key=_string(mapping, "key", where),
        operator=_string(mapping, "operator", where) or EQUAL,
        value=_string(mapping, "value", where),
        effect=_toleration_effect(_string(mapping, "effect", where)),
    )
    problem = _toleration_problem(toleration, mapping.get("tolerationSeconds") is not None)
    if problem:
        raise ValueError(f"{where}: {problem}")
    return toleration


def _toleration_effect(effect: str) -> str:
    """A pod's toleration effect. The EKS spelling is read as meant, so the placement is judged;
    the API server refuses it in a pod, which api-validation reports, so no error suggests it."""
    try:
        return normalize_effect(effect)
    except ValueError:
        raise ValueError(
            f"unknown taint effect {effect!r}: expected NoSchedule, PreferNoSchedule or NoExecute"
        ) from None


def _toleration_problem(toleration: Toleration, has_seconds: bool) -> str | None:
    key, operator, value, effect = toleration
    if operator not in _TOLERATION_OPERATORS:
        return f"operator {operator!r} is not one of {', '.join(_TOLERATION_OPERATORS)}"
    if not key and operator != EXISTS:
        return 'operator must be Exists when key is empty ("match all keys and values")'
    if operator == EXISTS and value:
        return "value must be empty when operator is Exists"
    if has_seconds and effect != NO_EXECUTE:
        return "effect must be NoExecute when tolerationSeconds is set"
    key_problem = _label_key_problem(key) if key else None
    return key_problem or _label_value_problem(value)


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """Whether the toleration matches the taint (Kubernetes' ToleratesTaint)."""
    effect = normalize_effect(toleration.effect)
    if effect and effect != normalize_effect(taint.effect):
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator in ("", EQUAL):
        return toleration.value == taint.value
    return toleration.operator == EXISTS


def blocking_taints(group: NodeGroup, tolerations: Sequence[Toleration]) -> list[Taint]:
    """The group's NoSchedule and NoExecute taints that none of the tolerations match."""
    return [
        taint
        for taint in group.taints
        if normalize_effect(taint.effect) in _BLOCKING_EFFECTS
        and not any(tolerates(toleration, taint) for toleration in tolerations)
    ]


# --- node labels -------------------------------------------------------------------------------


def node_label_values(group: NodeGroup) -> Mapping[str, PossibleValues]:
    """Every label a node of the group may carry: the ones the kubelet, the cloud provider and
    EKS set, then the group's own (a label the group declares is the one its nodes carry).

    Computed once per group and shared (read only): every workload is judged against every group.
    """
    return _label_values(
        group.name,
        tuple(group.labels.items()),
        tuple(group.zones),
        tuple(group.instance_types),
        group.arch,
        group.capacity_type,
    )


@functools.lru_cache(maxsize=1024)
def _label_values(
    name: str,
    labels: tuple[tuple[str, str], ...],
    zones: tuple[str, ...],
    instance_types: tuple[str, ...],
    arch: str | None,
    capacity_type: str | None,
) -> Mapping[str, PossibleValues]:
    archs = _architectures(arch, instance_types)
    zone_values = frozenset(zones) if zones else None
    regions = _regions(zones)
    instance_type_values = frozenset(instance_types) if instance_types else None
    values: dict[str, PossibleValues] = {
        HOSTNAME_LABEL: None,
        OS_LABEL: frozenset({"linux"}),
        BETA_OS_LABEL: frozenset({"linux"}),
        ARCH_LABEL: archs,
        BETA_ARCH_LABEL: archs,
        ZONE_LABEL: zone_values,
        BETA_ZONE_LABEL: zone_values,
        REGION_LABEL: regions,
        BETA_REGION_LABEL: regions,
        INSTANCE_TYPE_LABEL: instance_type_values,
        BETA_INSTANCE_TYPE_LABEL: instance_type_values,
        NODEGROUP_LABEL: frozenset({name}),
        CAPACITY_TYPE_LABEL: (
            frozenset({capacity_type}) if capacity_type else _UNDECLARED_CAPACITY
        ),
    }
    values.update({key: frozenset({value}) for key, value in labels})
    return MappingProxyType(values)


def _architectures(arch: str | None, instance_types: Sequence[str]) -> PossibleValues:
    """The declared architecture, else the one each instance type implies; None when unknown."""
    if arch:
        return frozenset({arch})
    found = {instance_architecture(name) for name in instance_types}
    if not found or None in found:
        return None
    return frozenset(found_arch for found_arch in found if found_arch is not None)


def instance_architecture(instance_type: str) -> str | None:
    """``arm64`` for an AWS Graviton instance type, ``amd64`` for another EC2 one, None when the
    name does not read as an EC2 instance type."""
    match = _INSTANCE_FAMILY.match(instance_type.lower())
    if match is None:
        return None
    family, generation, attributes = match.groups()
    graviton = "g" in attributes or (family, generation) == ("a", "1")
    return "arm64" if graviton else "amd64"


def _regions(zones: Sequence[str]) -> PossibleValues:
    """The regions of the zones; None (any) when there are none or one is not an AWS zone."""
    regions = [_ZONE_REGION.fullmatch(zone) for zone in zones]
    if not regions or any(match is None for match in regions):
        return None
    return frozenset(match.group(1) for match in regions if match is not None)


# --- parsing a pod spec --------------------------------------------------------------------------


def parse_placement(pod_spec: Mapping[str, Any]) -> Placement:
    """The scheduling constraints of a pod spec; absent or null pieces constrain nothing."""
    spec = _mapping(pod_spec, "pod spec")
    tolerations = _sequence(spec.get("tolerations"), "tolerations")
    return Placement(
        node_selector=_parse_node_selector(spec.get("nodeSelector")),
        required_terms=_parse_required_terms(spec.get("affinity")),
        tolerations=tuple(
            parse_toleration(item, f"tolerations[{index}]")
            for index, item in enumerate(tolerations)
        ),
    )


def _parse_node_selector(raw: object) -> dict[str, str]:
    selector: dict[str, str] = {}
    for key, value in _mapping(raw, "nodeSelector").items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"nodeSelector: {key!r}: {value!r} must map a string to a string")
        _check_label_key(key, f"nodeSelector {key}")
        _check_label_value(value, f"nodeSelector {key}")
        selector[key] = value
    return selector


def _parse_required_terms(raw: object) -> tuple[tuple[Requirement, ...], ...] | None:
    node_affinity = _mapping(_mapping(raw, "affinity").get("nodeAffinity"), "affinity.nodeAffinity")
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    where = f"{_REQUIRED_PATH}.nodeSelectorTerms"
    terms = _sequence(_mapping(required, _REQUIRED_PATH).get("nodeSelectorTerms"), where)
    if not terms:
        raise ValueError(f"{where}: must have at least one node selector term")
    return tuple(_parse_term(term, f"{where}[{index}]") for index, term in enumerate(terms))


def _parse_term(raw: object, where: str) -> tuple[Requirement, ...]:
    term = _mapping(raw, where)
    expressions = _sequence(term.get("matchExpressions"), f"{where}.matchExpressions")
    fields = _sequence(term.get("matchFields"), f"{where}.matchFields")
    return tuple(
        _parse_expression(item, f"{where}.matchExpressions[{index}]")
        for index, item in enumerate(expressions)
    ) + tuple(
        _parse_field(item, f"{where}.matchFields[{index}]") for index, item in enumerate(fields)
    )


def _parse_expression(raw: object, where: str) -> Requirement:
    requirement = _requirement(raw, where)
    problem = _expression_problem(requirement)
    if problem:
        raise ValueError(f"{where}: {problem}")
    return requirement


def _expression_problem(requirement: Requirement) -> str | None:
    key, operator, values = requirement
    if operator not in _LABEL_OPERATORS:
        return f"operator {operator!r} is not one of {', '.join(_LABEL_OPERATORS)}"
    if operator in (IN, NOT_IN) and not values:
        return f"values must not be empty when operator is {operator}"
    if operator in (EXISTS, DOES_NOT_EXIST) and values:
        return f"values must be empty when operator is {operator}"
    if operator in (GT, LT) and (len(values) != 1 or _parse_int64(values[0]) is None):
        return f"values must be a single integer when operator is {operator}, got {list(values)}"
    problems = [_label_key_problem(key), *(_label_value_problem(value) for value in values)]
    return next((problem for problem in problems if problem), None)


def _parse_field(raw: object, where: str) -> Requirement:
    """A matchFields requirement; the node name is unknown here, like the hostname label."""
    key, operator, values = _requirement(raw, where)
    if key != NODE_NAME_FIELD:
        raise ValueError(f"{where}: key {key!r} is not supported, only {NODE_NAME_FIELD}")
    if operator not in (IN, NOT_IN):
        raise ValueError(f"{where}: operator {operator!r} is not one of In, NotIn")
    if len(values) != 1:
        raise ValueError(f"{where}: values must have exactly one element, got {list(values)}")
    return Requirement(HOSTNAME_LABEL, operator, values)


def _requirement(raw: object, where: str) -> Requirement:
    mapping = _mapping(raw, where)
    values = _sequence(mapping.get("values"), f"{where}.values")
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{where}: values must be strings, got {list(values)!r}")
    return Requirement(_string(mapping, "key", where), _string(mapping, "operator", where), values)


# --- verdicts ------------------------------------------------------------------------------------


def misfit_reasons(placement: Placement, group: NodeGroup) -> list[str]:
    """Why a pod with this placement cannot run on the group's nodes; empty when it can.

    Every rule judges every workload against every group, and most workloads of a platform share
    a few placements: a verdict is kept for the same placement and group (a small table, emptied
    when full)."""
    try:
        key = (
            tuple(placement.node_selector.items()),
            placement.required_terms,
            placement.tolerations,
            group.name,
            tuple(group.labels.items()),
            *group[2:],
        )
        found = _MISFITS.get(key)
    except TypeError:  # an unhashable value in a placement read from anywhere: judged afresh
        return _misfit_reasons(placement, group)
    if found is None:
        if len(_MISFITS) >= _MISFITS_KEPT:
            _MISFITS.clear()
        found = _MISFITS[key] = tuple(_misfit_reasons(placement, group))
    return list(found)


_MISFITS: dict[tuple[object, ...], tuple[str, ...]] = {}
_MISFITS_KEPT = 4096


def _misfit_reasons(placement: Placement, group: NodeGroup) -> list[str]:
    reasons, selected = _apply_node_selector(placement.node_selector, node_label_values(group))
    affinity = _affinity_mismatch(placement.required_terms, selected)
    if affinity:
        reasons.append(affinity)
    reasons.extend(
        f"does not tolerate taint {taint}"
        for taint in blocking_taints(group, placement.tolerations)
    )
    return reasons


def fitting_groups(placement: Placement, groups: Sequence[NodeGroup]) -> list[NodeGroup]:
    """The groups, in order, whose nodes a pod with this placement can be scheduled on."""
    return [group for group in groups if not misfit_reasons(placement, group)]


def _apply_node_selector(
    node_selector: Mapping[str, str], labels: Mapping[str, PossibleValues]
) -> tuple[list[str], dict[str, PossibleValues]]:
    """The nodeSelector mismatches, and the labels of the nodes that match its other entries.

    Required terms are then judged on those nodes only: both must hold on one node.
    """
    reasons: list[str] = []
    selected = dict(labels)
    for key, value in node_selector.items():
        reason = _selector_mismatch(key, value, labels)
        if reason:
            reasons.append(reason)
        else:
            selected[key] = frozenset({value})
    return reasons, selected


def _selector_mismatch(key: str, value: str, labels: Mapping[str, PossibleValues]) -> str | None:
    if key not in labels:
        return f"nodeSelector {key}={value} does not match (the group has no {key} label)"
    possible = labels[key]
    if possible is None or value in possible:
        return None
    return f"nodeSelector {key}={value} does not match (the group has {_describe(key, possible)})"


def _describe(key: str, possible: frozenset[str]) -> str:
    if len(possible) == 1:
        return f"{key}={next(iter(possible))}"
    return f"{key} in [{', '.join(sorted(possible))}]"


def _affinity_mismatch(
    terms: tuple[tuple[Requirement, ...], ...] | None, labels: Mapping[str, PossibleValues]
) -> str | None:
    if terms is None:
        return None
    explanations: list[str] = []
    for number, term in enumerate(terms, start=1):
        explanation = _term_mismatch(term, labels)
        if explanation is None:
            return None
        explanations.append(f"term {number}: {explanation}")
    return f"no required nodeSelectorTerm matches ({'; '.join(explanations) or 'no terms'})"


def _term_mismatch(
    term: tuple[Requirement, ...], labels: Mapping[str, PossibleValues]
) -> str | None:
    if not term:
        return "an empty term matches nothing"
    failures = _failing_requirements(term, labels)
    return ", ".join(f"{requirement} fails" for requirement in failures) or None


def _failing_requirements(
    term: tuple[Requirement, ...], labels: Mapping[str, PossibleValues]
) -> list[Requirement]:
    """The requirements no node can meet, narrowing each label's values as the term goes."""
    candidates = dict(labels)
    failed: set[int] = set()
    # In first: it pins an unknown value (the hostname) to a list the others can then test.
    for index in sorted(range(len(term)), key=lambda i: term[i].operator != IN):
        requirement = term[index]
        if requirement.key not in candidates:
            if requirement.operator not in _HOLD_WHEN_ABSENT:
                failed.add(index)
            continue
        narrowed = _narrow(requirement, candidates[requirement.key])
        if narrowed is not None and not narrowed:
            failed.add(index)
        else:
            candidates[requirement.key] = narrowed
    return [term[index] for index in sorted(failed)]


def _narrow(requirement: Requirement, possible: PossibleValues) -> PossibleValues:
    """The values of a present label that still satisfy the requirement."""
    if possible is not None:
        return frozenset(value for value in possible if _satisfies(requirement, value))
    if requirement.operator == IN:
        return frozenset(requirement.values)
    return frozenset() if requirement.operator == DOES_NOT_EXIST else None


def _satisfies(requirement: Requirement, value: str) -> bool:
    operator, values = requirement.operator, requirement.values
    if operator in (IN, NOT_IN):
        return (value in values) == (operator == IN)
    if operator in (GT, LT) and len(values) == 1:
        return _compare(operator, value, values[0])
    return operator == EXISTS


def _compare(operator: str, label_value: str, bound: str) -> bool:
    """Gt/Lt as the scheduler does it: a label that is not an int64 never satisfies them."""
    number, limit = _parse_int64(label_value), _parse_int64(bound)
    if number is None or limit is None:
        return False
    return number > limit if operator == GT else number < limit


# --- input checks --------------------------------------------------------------------------------


def _parse_int64(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 10, 64): optional sign, decimal digits, 64-bit range."""
    if not _INT64.fullmatch(text):
        return None
    number = int(text)
    return number if number in _INT64_RANGE else None


def _label_value_problem(value: str) -> str | None:
    if len(value) <= 63 and _LABEL_VALUE.fullmatch(value):
        return None
    return (
        f"{value!r} is not a valid label value (at most 63 characters: alphanumerics,"
        " '-', '_' or '.', starting and ending with an alphanumeric)"
    )


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    valid_prefix = not prefix or (len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix))
    if valid_prefix and len(name) <= 63 and _LABEL_NAME.fullmatch(name):
        return None
    return (
        f"{key!r} is not a valid label key (an optional DNS subdomain prefix and '/', then a name)"
    )


def _check_label_key(key: str, where: str) -> None:
    problem = _label_key_problem(key)
    if problem:
        raise ValueError(f"{where}: {problem}")


def _check_label_value(value: str, where: str) -> None:
    problem = _label_value_problem(value)
    if problem:
        raise ValueError(f"{where}: {problem}")


def _mapping(raw: object, where: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(raw).__name__}")
    return raw


def _sequence(raw: object, where: str) -> tuple[Any, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise ValueError(f"{where} must be a list, got {type(raw).__name__}")
    return tuple(raw)


def _string(mapping: Mapping[str, Any], field: str, where: str) -> str:
    value = mapping.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where}: {field} must be a string, got {value!r}")
    return value
