"""The rule catalog: an explicit registry, in the order the docs list the rules.

Rule IDs are a public contract: never renamed or reused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import ModuleType

from gitopsctl.rules import (
    api_validation,
    app_of_apps,
    capacity,
    chart_lock,
    configmap_reference,
    crd_provider,
    daemonset_coverage,
    db_connection,
    db_placement,
    dedicated_node_intrusion,
    ha_replicas,
    ingress_class,
    ingress_host,
    ingress_issuer,
    manifest_schema,
    plaintext_secret,
    promotion_order,
    secret_reference,
    service_reference,
    serviceaccount_reference,
    sync_order,
    taint_toleration,
)
from gitopsctl.rules.base import Rule, rule_from_module

SLUG = re.compile(r"[a-z]+(-[a-z]+)*")

RULE_MODULES: tuple[ModuleType, ...] = (
    manifest_schema,
    api_validation,
    taint_toleration,
    dedicated_node_intrusion,
    daemonset_coverage,
    capacity,
    ingress_class,
    ingress_issuer,
    ingress_host,
    db_placement,
    db_connection,
    sync_order,
    crd_provider,
    app_of_apps,
    plaintext_secret,
    ha_replicas,
    promotion_order,
    secret_reference,
    configmap_reference,
    service_reference,
    serviceaccount_reference,
    chart_lock,
)


def registry(modules: Iterable[ModuleType]) -> dict[str, Rule]:
    """The modules' rules by ID, in their order; a malformed or reused ID is a ValueError."""
    rules: dict[str, Rule] = {}
    owners: dict[str, str] = {}
    for module in modules:
        rule = rule_from_module(module)
        if not isinstance(rule.id, str) or not SLUG.fullmatch(rule.id):
            raise ValueError(f"rule ID {rule.id!r} of {module.__name__} is not a lower-case slug")
        if rule.id in owners:
            raise ValueError(
                f"rule ID {rule.id!r} of {module.__name__} is already used by {owners[rule.id]}"
            )
        rules[rule.id], owners[rule.id] = rule, module.__name__
    return rules


RULES: dict[str, Rule] = registry(RULE_MODULES)
