"""Every Secret a pod needs is provided in its namespace, with the key it reads.

A pod whose non-optional `secretKeyRef`, `envFrom.secretRef`, secret volume, projected secret
source or `imagePullSecrets` names a Secret nothing creates in its namespace never starts
(`CreateContainerConfigError`), and Argo CD shows its app Progressing forever. A Secret counts as
provided in a namespace by: a Secret among the environment's objects (a service account token
Secret holds `token`, `ca.crt` and `namespace`), an `ExternalSecret` (`spec.target.name`, else
its name), a `SealedSecret`, a cert-manager `Certificate` (`spec.secretName`), the TLS secret of
an Ingress annotated `cert-manager.io/cluster-issuer` or `cert-manager.io/issuer`, a
CloudNativePG Cluster (`<name>-app`, and `<name>-superuser` with `enableSuperuserAccess`), what a
chart's profile says the chart creates at run time (`creates.secrets`), and what an app declares
under `providedSecrets` with its reason: like an exception, each pod's use of such a Secret is
still reported, marked excepted, with the reason, so what the repository does not create stays
in view. Where the provider's keys are known, the key the pod
reads must be one of them. Without `--helm`, the references are the values a chart profile lists
under `secretRefs` (`auth.existingSecret`). With `--manifests`, a missing Secret is reported only
with `--references` (the stream is a whole environment); a wrong key always.

Passing (the database's credentials are delivered into the app's namespace):

    kind: ExternalSecret
    metadata: {name: keycloak-db-credentials, namespace: keycloak}
    spec:
      data: [{secretKey: password, remoteRef: {key: keycloak-db}}]
    ---
    kind: StatefulSet
    metadata: {name: keycloak, namespace: keycloak}
    spec:
      template:
        spec:
          containers:
            - env:
                - name: KC_DB_PASSWORD
                  valueFrom:
                    secretKeyRef: {name: keycloak-db-credentials, key: password}

Failing (CloudNativePG creates `keycloak-db-app` in namespace `database` only):

    kind: StatefulSet
    metadata: {name: keycloak, namespace: keycloak}
    spec:
      template:
        spec:
          containers:
            - env:
                - name: KC_DB_PASSWORD
                  valueFrom:
                    secretKeyRef: {name: keycloak-db-app, key: password}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit, unresolved_references
from gitopsctl.subjects.records import Environment
from gitopsctl.subjects.references import SECRET

ID = "secret-reference"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    return unresolved_references(env, SECRET)
