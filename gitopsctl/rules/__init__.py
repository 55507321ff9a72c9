"""The rule catalog: an explicit registry, in the order the docs list the rules.

Rule IDs are a public contract: never renamed or reused.
"""

from __future__ import annotations

from gitopsctl.rules import (
    app_of_apps,
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
    sync_order,
    taint_toleration,
)
from gitopsctl.rules.base import Rule, rule_from_module

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in map(
        rule_from_module,
        [
            manifest_schema,
            taint_toleration,
            dedicated_node_intrusion,
            daemonset_coverage,
            ingress_class,
            ingress_issuer,
            ingress_host,
            db_placement,
            db_connection,
            sync_order,
            app_of_apps,
            plaintext_secret,
            ha_replicas,
        ],
    )
}
