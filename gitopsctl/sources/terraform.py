"""Node groups read from the EKS cluster's Terraform, so the checks follow the real cluster.

The `.tf` files of one folder (one Terraform module) are parsed with python-hcl2. Node groups come
from every `module` block whose source is `terraform-aws-modules/eks/aws` (its
`eks_managed_node_groups`, each merged over `eks_managed_node_group_defaults` attribute by
attribute, as the module does) and from every standalone
`terraform-aws-modules/eks/aws//modules/eks-managed-node-group` block (the same attributes at the
top level), with or without a registry host before the source.

Of each group only `name`, `labels`, `taints` (a list, or a map of objects), `instance_types`,
`ami_type` (for the architecture), `min_size`, `max_size` and `desired_size` are read. Their
values may be literals, `var.NAME` with a default, `local.NAME`, and strings interpolating those;
anything else (a module output, a function call) is unusable input at the attribute's line.
Everything else in the files is ignored. Zones are unknown: EKS node groups name subnets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule, BodyRule
from hcl2.rules.containers import ObjectElemKeyExpressionRule, ObjectElemRule, ObjectRule, TupleRule
from hcl2.rules.expressions import ExprTermRule
from hcl2.rules.literal_rules import FloatLitRule, IntLitRule, LiteralValueRule
from hcl2.rules.strings import InterpolationRule, StringRule
from hcl2.utils import process_escape_sequences
from lark.exceptions import LarkError, UnexpectedInput

from gitopsctl.errors import InputError, Problem
from gitopsctl.kube.scheduling import NodeGroup, Taint, parse_taint

EKS_MODULE = "terraform-aws-modules/eks/aws"
NODE_GROUP_MODULE = f"{EKS_MODULE}//modules/eks-managed-node-group"
# The module's own defaults (variables.tf of eks-managed-node-group) and EKS's instance type.
DEFAULT_SIZES = {"min_size": 0, "max_size": 3, "desired_size": 1}
DEFAULT_INSTANCE_TYPES = ("t3.medium",)
_SOURCE = re.compile(r"(?:[A-Za-z0-9.-]+\.[A-Za-z]{2,}/)?(?P<module>.+)")
_REFERENCE = re.compile(r"\$\{(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\}")
_AT_LINE = re.compile(r" at line \d+, column \d+\.?$")
_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)
_RAW = hcl2.SerializationOptions(with_comments=False)


class Expression(NamedTuple):
    """An unevaluated HCL expression and where it is."""

    node: Any
    file: str
    line: int


class Unresolvable(Exception):
    """An expression this reader does not evaluate; ``text`` says which."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Scope:
    """The folder's variables (their defaults) and locals, evaluated when first needed."""

    def __init__(self, variables: dict[str, Expression], locals_: dict[str, Expression]) -> None:
        self._found = {"var": variables, "local": locals_}
        self._busy: set[tuple[str, str]] = set()

    def lookup(self, kind: str, name: str) -> Any:
        expression = self._found[kind].get(name)
        if expression is None:
            missing = "has no default" if kind == "var" else "is not defined"
            raise Unresolvable(f"{kind}.{name} ({kind}.{name} {missing})")
        if (kind, name) in self._busy:
            raise Unresolvable(f"{kind}.{name} (it refers to itself)")
        self._busy.add((kind, name))
        try:
            return evaluate(expression.node, self)
        except Unresolvable as error:
            where = f"{expression.file}:{expression.line}"
            raise Unresolvable(f"{kind}.{name} = {error.text} at {where}") from None
        finally:
            self._busy.discard((kind, name))


class Module(NamedTuple):
    label: str
    source: str
    attributes: dict[str, Expression]
    file: str
    line: int


def read_node_groups(folder: Path, shown: str) -> list[NodeGroup]:
    """The node groups the folder's Terraform defines; ``shown`` names the folder in messages."""
    if not folder.is_dir():
        raise InputError(Problem("no such Terraform folder", shown))
    files = sorted(path for path in folder.iterdir() if path.suffix == ".tf" and path.is_file())
    modules: list[Module] = []
    variables: dict[str, Expression] = {}
    locals_: dict[str, Expression] = {}
    for path in files:
        name = f"{shown}/{path.name}"
        body = _parse(path, name)
        _collect(body, name, modules, variables, locals_)
    scope = Scope(variables, locals_)
    groups = [group for module in modules for group in _module_groups(module, scope)]
    if not groups:
        raise InputError(Problem(_no_node_groups(bool(files)), shown))
    _check_unique(groups)
    return [group for group, _ in groups]


def _no_node_groups(has_files: bool) -> str:
    if not has_files:
        return "no .tf files in the Terraform folder"
    return (
        f"no node groups: no module with source {EKS_MODULE} (with eks_managed_node_groups) or "
        f"{NODE_GROUP_MODULE} in its .tf files"
    )


def _parse(path: Path, name: str) -> BodyRule:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot read: {error}", name)) from None
    try:
        body: BodyRule = hcl2.parses(text).body
    except UnexpectedInput as error:
        first = _AT_LINE.sub("", str(error).strip().splitlines()[0])  # the position is ours
        raise InputError(
            Problem(f"not valid HCL: {first}", name, error.line, error.column)
        ) from None
    except LarkError as error:
        raise InputError(Problem(f"not valid HCL: {error}", name)) from None
    except (ValueError, TypeError, RuntimeError, IndexError, KeyError) as error:
        # python-hcl2 builds its tree from the parse; input it cannot build is still bad input
        raise InputError(Problem(f"not valid HCL: {error}", name)) from None
    return body


def _collect(
    body: BodyRule,
    file: str,
    modules: list[Module],
    variables: dict[str, Expression],
    locals_: dict[str, Expression],
) -> None:
    for block in body.children:
        if not isinstance(block, BlockRule):
            continue
        kind, *labels = [str(label.serialize(_OPTIONS)) for label in block.labels]
        attributes = _attributes(block.body, file)
        if kind == "variable" and labels and "default" in attributes:
            variables[labels[0]] = attributes["default"]
        elif kind == "locals":
            locals_.update(attributes)
        elif kind == "module" and labels and "source" in attributes:
            source = attributes["source"].node
            text = str(source.serialize(_OPTIONS)) if _is_literal_string(source) else ""
            modules.append(Module(labels[0], text, attributes, file, _line(block, 1)))


def _attributes(body: BodyRule, file: str) -> dict[str, Expression]:
    return {
        str(child.identifier.serialize(_OPTIONS)): Expression(
            child.expression, file, _line(child, 1)
        )
        for child in body.children
        if isinstance(child, AttributeRule)
    }


def _is_literal_string(node: Any) -> bool:
    inner = _unwrap(node)
    return isinstance(inner, StringRule) and not any(
        isinstance(part.content, InterpolationRule) for part in inner.string_parts
    )


def _line(node: Any, default: int) -> int:
    meta = getattr(node, "_meta", None)
    line = getattr(meta, "line", None)
    return line if isinstance(line, int) else default


def _unwrap(node: Any) -> Any:
    while isinstance(node, ExprTermRule):
        node = node.expression
    return node


# --- evaluating the little Terraform we read ---------------------------------------------------


def evaluate(node: Any, scope: Scope) -> Any:
    """A value from literals, `var.*` defaults and `local.*`; Unresolvable otherwise."""
    inner = _unwrap(node)
    if isinstance(inner, IntLitRule | FloatLitRule | LiteralValueRule):
        return inner.serialize(_RAW)
    if isinstance(inner, StringRule):
        return "".join(_string_part(part, scope) for part in inner.string_parts)
    if isinstance(inner, TupleRule):
        return [evaluate(element, scope) for element in inner.elements]
    if isinstance(inner, ObjectRule):
        return {
            _key(element, scope): evaluate(element.expression, scope) for element in inner.elements
        }
    text = str(inner.serialize(_RAW))
    reference = _REFERENCE.fullmatch(text)
    if reference is None:
        raise Unresolvable(text.removeprefix("${").removesuffix("}"))
    return scope.lookup(reference[1], reference[2])


def _key(element: ObjectElemRule, scope: Scope) -> str:
    """An object key: a name, a string (maybe interpolating) or a parenthesized expression."""
    key = element.key
    if isinstance(key, ObjectElemKeyExpressionRule):
        return _terraform_string(evaluate(key.expression, scope))
    if isinstance(key.value, StringRule):
        return _terraform_string(evaluate(key.value, scope))
    return str(key.serialize(_OPTIONS))


def _string_part(part: Any, scope: Scope) -> str:
    if isinstance(part.content, InterpolationRule):
        value = evaluate(part.content.expression, scope)
        if isinstance(value, dict | list) or value is None:
            raise Unresolvable(f"{part.serialize(_RAW)} (not a string)")
        return _terraform_string(value)
    text = str(part.serialize(_RAW))
    if text.startswith("%{"):
        raise Unresolvable(text)
    return process_escape_sequences(text).replace("$${", "${").replace("%%{", "%{")


def _terraform_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- node groups ------------------------------------------------------------------------------


def _module_groups(module: Module, scope: Scope) -> Iterator[tuple[NodeGroup, Expression]]:
    found = _SOURCE.fullmatch(module.source)
    source = found["module"] if found else ""
    if source == NODE_GROUP_MODULE:
        yield _node_group(module.label, dict(module.attributes), module, scope)
    elif source == EKS_MODULE:
        yield from _eks_groups(module, scope)


def _eks_groups(module: Module, scope: Scope) -> Iterator[tuple[NodeGroup, Expression]]:
    defaults_name = "eks_managed_node_group_defaults"
    defaults = _object_attributes(module.attributes.get(defaults_name), scope, defaults_name)
    groups = module.attributes.get("eks_managed_node_groups")
    if groups is None:
        return
    for key, group in _object_attributes(groups, scope, "eks_managed_node_groups").items():
        attributes = {**defaults, **_object_attributes(group, scope, f"node group {key!r}")}
        yield _node_group(key, attributes, module, scope, group)


def _object_attributes(
    expression: Expression | None, scope: Scope, what: str
) -> dict[str, Expression]:
    """The elements of an object expression, unevaluated, each with its line."""
    if expression is None:
        return {}
    inner = _unwrap(expression.node)
    if isinstance(inner, ObjectRule):
        found: dict[str, Expression] = {}
        for element in inner.elements:
            at = Expression(element.expression, expression.file, _line(element, expression.line))
            key = _resolved(Expression(element, at.file, at.line), scope, f"a key of {what}")
            found[key] = at
        return found
    value = _value(expression, scope, what)  # a var or a local holding the object
    if not isinstance(value, dict):
        raise _problem(expression, f"{what}: must be an object, not {value!r}")
    return {
        key: Expression(_Literal(item), expression.file, expression.line)
        for key, item in value.items()
    }


class _Literal(NamedTuple):
    """A value already evaluated (the element of an object read through a var or a local)."""

    value: Any


def _value(expression: Expression, scope: Scope, what: str) -> Any:
    if isinstance(expression.node, _Literal):
        return expression.node.value
    return _resolved(expression, scope, what)


def _resolved(expression: Expression, scope: Scope, what: str) -> Any:
    try:
        if isinstance(expression.node, ObjectElemRule):  # the key of an object's element
            return _key(expression.node, scope)
        return evaluate(expression.node, scope)
    except Unresolvable as error:
        raise _problem(
            expression,
            f"cannot resolve {error.text}: {what} is read only from literals, var.NAME with a "
            "default and local.NAME",
        ) from None


def _problem(expression: Expression, message: str) -> InputError:
    return InputError(Problem(message, expression.file, expression.line))


def _node_group(
    key: str,
    attributes: Mapping[str, Expression],
    module: Module,
    scope: Scope,
    at: Expression | None = None,
) -> tuple[NodeGroup, Expression]:
    where = at or Expression(None, module.file, module.line)
    name = _attribute(key, attributes, "name", _string, scope) or key

    def read(attribute: str, convert: Any) -> Any:
        return _attribute(name, attributes, attribute, convert, scope)

    sizes = {size: read(size, _count) for size in DEFAULT_SIZES}
    group = NodeGroup(
        name=name,
        labels=read("labels", _labels) or {},
        taints=read("taints", _taints) or (),
        zones=(),  # the subnets decide; every node still carries a zone
        instance_types=read("instance_types", _strings) or DEFAULT_INSTANCE_TYPES,
        arch="arm64" if "ARM_64" in (read("ami_type", _string) or "") else "amd64",
        min_size=_or_default(sizes, "min_size"),
        max_size=_or_default(sizes, "max_size"),
        desired_size=_or_default(sizes, "desired_size"),
    )
    return group, where


def _attribute(
    group: str, attributes: Mapping[str, Expression], name: str, convert: Any, scope: Scope
) -> Any:
    """One attribute of a node group, converted; None when the group does not set it."""
    expression = attributes.get(name)
    if expression is None:
        return None
    label = f"node group {group!r}: {name}"
    try:
        return convert(_value(expression, scope, name))
    except ValueError as error:
        raise _problem(expression, f"{label}: {error}") from None
    except InputError as error:
        problem = error.problems[0]
        raise InputError(
            Problem(f"{label}: {problem.message}", problem.file, problem.line)
        ) from None


def _or_default(sizes: Mapping[str, int | None], name: str) -> int:
    found = sizes[name]
    return DEFAULT_SIZES[name] if found is None else found


def _string(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be a string, not {value!r}")
    return _terraform_string(value)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"must be a list of strings, not {value!r}")
    return tuple(_string(item) for item in value)


def _count(value: Any) -> int:
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError(f"must be a whole number, not {value!r}")
    return number


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(f"must be a map of strings, not {value!r}")
    return {str(key): _string(item) for key, item in value.items()}


def _taints(value: Any) -> tuple[Taint, ...]:
    """A list of taints, or a map of them (the module accepts both)."""
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise ValueError(f"must be a list or a map of taints, not {value!r}")
    return tuple(parse_taint(item) for item in items)


def _check_unique(groups: list[tuple[NodeGroup, Expression]]) -> None:
    seen: dict[str, Expression] = {}
    for group, where in groups:
        if group.name in seen:
            first = seen[group.name]
            raise _problem(
                where,
                f"node group {group.name!r} is defined twice (first at {first.file}:{first.line})",
            )
        seen[group.name] = where
