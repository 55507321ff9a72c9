"""CustomResourceDefinitions become strict draft 2020-12 JSON Schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gitopsctl.kube.crds import CrdSchema, crd_schemas, load_crd_dir
from gitopsctl.kube.schemastore import SchemaStore

CRD_DIR = Path(__file__).resolve().parents[2] / "shared" / "crds"

SchemaKey = tuple[str, str]


@pytest.fixture(scope="module")
def shared_crds() -> dict[SchemaKey, CrdSchema]:
    return load_crd_dir([CRD_DIR])


def test_loads_every_shared_crd(shared_crds: dict[SchemaKey, CrdSchema]) -> None:
    assert sorted(shared_crds) == [
        ("argoproj.io/v1alpha1", "AppProject"),
        ("argoproj.io/v1alpha1", "Application"),
        ("cert-manager.io/v1", "Certificate"),
        ("cert-manager.io/v1", "ClusterIssuer"),
        ("postgresql.cnpg.io/v1", "Cluster"),
    ]
    assert all(key == (crd.api_version, crd.kind) for key, crd in shared_crds.items())


def test_every_converted_schema_is_valid_draft_2020_12(
    shared_crds: dict[SchemaKey, CrdSchema],
) -> None:
    for crd in shared_crds.values():
        Draft202012Validator.check_schema(crd.schema)


def cnpg_cluster() -> dict[str, Any]:
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "keycloak-db", "namespace": "keycloak"},
        "spec": {
            "instances": 3,
            "storage": {"size": "20Gi"},
            "affinity": {
                "nodeSelector": {"node-role.kubernetes.io/database": ""},
                "tolerations": [
                    {
                        "key": "dedicated",
                        "operator": "Equal",
                        "value": "database",
                        "effect": "NoSchedule",
                    }
                ],
            },
            "bootstrap": {"initdb": {"database": "keycloak", "owner": "keycloak"}},
        },
    }


def self_signed_issuer() -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "selfsigned"},
        "spec": {"selfSigned": {}},
    }


def acme_issuer(ingress: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "letsencrypt"},
        "spec": {
            "acme": {
                "server": "https://acme-v02.api.letsencrypt.org/directory",
                "email": "platform@example.com",
                "privateKeySecretRef": {"name": "letsencrypt-account-key"},
                "solvers": [{"http01": {"ingress": ingress}}],
            }
        },
    }


def changed(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(document)
    node: Any = result
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return result


def removed(document: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    node: Any = result
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return result


def errors(schema: dict[str, Any], document: Any) -> list[tuple[str, str, str]]:
    """Every error as (JSON path, failing keyword, message), sorted."""
    return sorted(
        (error.json_path, str(error.validator), error.message)
        for error in Draft202012Validator(schema).iter_errors(document)
    )


VALID_RESOURCES = [
    pytest.param(cnpg_cluster(), id="cnpg-cluster"),
    pytest.param(self_signed_issuer(), id="cluster-issuer-self-signed"),
    pytest.param(acme_issuer({"ingressClassName": "nginx"}), id="cluster-issuer-acme-class-name"),
    pytest.param(acme_issuer({"class": "nginx"}), id="cluster-issuer-acme-class"),
    pytest.param(
        removed(cnpg_cluster(), ("spec", "instances")),
        id="cnpg-cluster-instances-defaulted-so-not-required",
    ),
]


@pytest.mark.parametrize("document", VALID_RESOURCES)
def test_valid_resource_passes_converted_crd(
    shared_crds: dict[SchemaKey, CrdSchema], document: dict[str, Any]
) -> None:
    schema = shared_crds[document["apiVersion"], document["kind"]].schema
    assert errors(schema, document) == []


INVALID_RESOURCES = [
    pytest.param(
        changed(cnpg_cluster(), ("spec", "replicas"), 3),
        [
            (
                "$.spec",
                "additionalProperties",
                "Additional properties are not allowed ('replicas' was unexpected)",
            )
        ],
        id="cnpg-cluster-unknown-spec-field",
    ),
    pytest.param(
        changed(cnpg_cluster(), ("spec", "bootstrap", "initdb", "user"), "keycloak"),
        [
            (
                "$.spec.bootstrap.initdb",
                "additionalProperties",
                "Additional properties are not allowed ('user' was unexpected)",
            )
        ],
        id="cnpg-cluster-unknown-initdb-field",
    ),
    pytest.param(
        changed(cnpg_cluster(), ("spec", "affinity", "tolerations", 0, "tolerationSeconds"), "60"),
        [
            (
                "$.spec.affinity.tolerations[0].tolerationSeconds",
                "type",
                "'60' is not of type 'integer'",
            )
        ],
        id="cnpg-cluster-toleration-seconds-not-integer",
    ),
    pytest.param(
        changed(self_signed_issuer(), ("spec", "selfSigend"), {}),
        [
            (
                "$.spec",
                "additionalProperties",
                "Additional properties are not allowed ('selfSigend' was unexpected)",
            )
        ],
        id="cluster-issuer-unknown-spec-field",
    ),
    pytest.param(
        acme_issuer({"ingressClass": "nginx"}),
        [
            (
                "$.spec.acme.solvers[0].http01.ingress",
                "additionalProperties",
                "Additional properties are not allowed ('ingressClass' was unexpected)",
            )
        ],
        id="cluster-issuer-unknown-ingress-field",
    ),
]


@pytest.mark.parametrize(("document", "expected"), INVALID_RESOURCES)
def test_invalid_resource_fails_converted_crd(
    shared_crds: dict[SchemaKey, CrdSchema],
    document: dict[str, Any],
    expected: list[tuple[str, str, str]],
) -> None:
    schema = shared_crds[document["apiVersion"], document["kind"]].schema
    assert errors(schema, document) == expected


def crd(spec_schema: dict[str, Any], **version: Any) -> dict[str, Any]:
    """A minimal CRD of kind Widget whose v1 schema has the given spec."""
    openapi = {"type": "object", "properties": {"spec": spec_schema}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": openapi},
                }
                | version
            ],
        },
    }


def widget(spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


STRING = {"type": "string"}

# (id, spec schema, spec instance, expected errors as (JSON path, keyword))
CONVERSION_CASES = [
    (
        "listed-properties-are-closed",
        obj(a=STRING),
        {"b": "x"},
        [("$.spec", "additionalProperties")],
    ),
    (
        "nested-objects-are-closed",
        obj(a=obj(b=STRING)),
        {"a": {"c": "x"}},
        [("$.spec.a", "additionalProperties")],
    ),
    (
        "array-items-are-closed",
        obj(a={"type": "array", "items": obj(b=STRING)}),
        {"a": [{"b": "x"}, {"c": "x"}]},
        [("$.spec.a[1]", "additionalProperties")],
    ),
    (
        "preserve-unknown-fields-stays-open",
        obj(a=obj(b=STRING) | {"x-kubernetes-preserve-unknown-fields": True}),
        {"a": {"b": "x", "c": {"d": 1}}},
        [],
    ),
    (
        "preserve-unknown-fields-does-not-open-children",
        obj(a=obj(b=obj(c=STRING)) | {"x-kubernetes-preserve-unknown-fields": True}),
        {"a": {"b": {"d": "x"}}},
        [("$.spec.a.b", "additionalProperties")],
    ),
    (
        "map-values-keep-their-schema",
        obj(a={"type": "object", "additionalProperties": obj(b=STRING)}),
        {"a": {"k1": {"b": "x"}, "k2": {"c": "x"}}},
        [("$.spec.a.k2", "additionalProperties")],
    ),
    (
        "object-without-properties-stays-open",
        obj(a={"type": "object"}),
        {"a": {"anything": 1}},
        [],
    ),
    (
        "int-or-string-accepts-integer",
        obj(
            a={
                "x-kubernetes-int-or-string": True,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
            }
        ),
        {"a": 3},
        [],
    ),
    (
        "int-or-string-accepts-string",
        obj(a={"x-kubernetes-int-or-string": True}),
        {"a": "50%"},
        [],
    ),
    (
        "int-or-string-rejects-boolean-once",
        obj(
            a={
                "x-kubernetes-int-or-string": True,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
            }
        ),
        {"a": True},
        [("$.spec.a", "type")],
    ),
    ("nullable-accepts-null", obj(a=STRING | {"nullable": True}), {"a": None}, []),
    ("not-nullable-rejects-null", obj(a=STRING), {"a": None}, [("$.spec.a", "type")]),
    (
        "nullable-enum-accepts-null",
        obj(a=STRING | {"enum": ["x"], "nullable": True}),
        {"a": None},
        [],
    ),
    ("enum-is-kept", obj(a=STRING | {"enum": ["x"]}), {"a": "y"}, [("$.spec.a", "enum")]),
    (
        "format-is-kept-as-annotation",
        obj(a=STRING | {"format": "date-time"}),
        {"a": "yesterday"},
        [],
    ),
    (
        "required-is-kept",
        obj(a=STRING, b=STRING) | {"required": ["a"]},
        {"b": "x"},
        [("$.spec", "required")],
    ),
    (
        "defaulted-property-is-not-required",
        obj(a=STRING | {"default": "x"}) | {"required": ["a"]},
        {},
        [],
    ),
    (
        "embedded-resource-allows-type-meta-and-metadata",
        obj(a=obj(spec=obj(b=STRING)) | {"x-kubernetes-embedded-resource": True}),
        {"a": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"x": "y"}}, "spec": {}}},
        [],
    ),
    (
        "embedded-resource-is-still-closed",
        obj(a=obj(spec=obj(b=STRING)) | {"x-kubernetes-embedded-resource": True}),
        {"a": {"kind": "Pod", "status": {}}},
        [("$.spec.a", "additionalProperties")],
    ),
    (
        "value-validation-branches-stay-open",
        obj(a=STRING, b=STRING) | {"allOf": [{"properties": {"a": {"minLength": 2}}}]},
        {"a": "xy", "b": "z"},
        [],
    ),
    (
        "exclusive-minimum-boolean-becomes-number",
        obj(a={"type": "integer", "minimum": 0, "exclusiveMinimum": True}),
        {"a": 0},
        [("$.spec.a", "exclusiveMinimum")],
    ),
    (
        "list-type-set-means-unique-items",
        obj(a={"type": "array", "items": STRING, "x-kubernetes-list-type": "set"}),
        {"a": ["x", "x"]},
        [("$.spec.a", "uniqueItems")],
    ),
    (
        "cel-rules-are-not-evaluated",
        obj(a=STRING) | {"x-kubernetes-validations": [{"rule": "false", "message": "never"}]},
        {"a": "x"},
        [],
    ),
]


@pytest.mark.parametrize(
    ("spec_schema", "spec", "expected"),
    [
        pytest.param(schema, spec, expected, id=name)
        for name, schema, spec, expected in CONVERSION_CASES
    ],
)
def test_conversion(
    spec_schema: dict[str, Any], spec: Any, expected: list[tuple[str, str]]
) -> None:
    (converted,) = crd_schemas(crd(spec_schema))
    found = [(path, keyword) for path, keyword, _ in errors(converted.schema, widget(spec))]
    assert found == expected


def test_root_gets_type_meta_and_open_metadata() -> None:
    (converted,) = crd_schemas(crd(obj(a=STRING)))
    document = widget({"a": "x"}) | {"metadata": {"name": "w", "labels": {"a": "b"}, "uid": "1"}}
    assert errors(converted.schema, document) == []
    assert errors(converted.schema, widget({}) | {"status": {}}) == [
        (
            "$",
            "additionalProperties",
            "Additional properties are not allowed ('status' was unexpected)",
        )
    ]


def test_root_metadata_constraints_are_kept_but_not_closed() -> None:
    document = crd(obj(a=STRING))
    openapi = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    openapi["properties"]["metadata"] = obj(name=STRING | {"maxLength": 3})
    (converted,) = crd_schemas(document)
    assert errors(
        converted.schema, widget({}) | {"metadata": {"name": "toolong", "labels": {}}}
    ) == [("$.metadata.name", "maxLength", "'toolong' is too long")]


def test_one_schema_per_served_version() -> None:
    document = crd(obj(a=STRING))
    stored = document["spec"]["versions"][0]
    document["spec"]["versions"] = [
        stored | {"name": "v1beta1", "storage": False},
        stored | {"name": "v1alpha1", "served": False, "storage": False},
        stored,
    ]
    found = [(crd.api_version, crd.kind) for crd in crd_schemas(document)]
    assert found == [("example.com/v1beta1", "Widget"), ("example.com/v1", "Widget")]
    assert (
        crd_schemas(document)[0].schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    )


NOT_A_CRD = [
    pytest.param(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
        "not a CustomResourceDefinition (kind 'ConfigMap')",
        id="other-kind",
    ),
    pytest.param(["a", "list"], "not a CustomResourceDefinition (kind 'list')", id="not-a-mapping"),
    pytest.param(
        crd(obj()) | {"apiVersion": "apiextensions.k8s.io/v1beta1"},
        "unsupported CRD apiVersion 'apiextensions.k8s.io/v1beta1'",
        id="v1beta1",
    ),
    pytest.param(
        crd(obj(), schema={}),
        "served version v1 has no schema.openAPIV3Schema",
        id="served-version-without-schema",
    ),
    pytest.param(
        changed(crd(obj()), ("spec", "names"), {}),
        "CustomResourceDefinition has no spec.names.kind",
        id="no-kind",
    ),
]


@pytest.mark.parametrize(("document", "message"), NOT_A_CRD)
def test_crd_schemas_rejects(document: Any, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        crd_schemas(document)
    assert str(raised.value) == message


WIDGET_YAML = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
"""


def test_load_crd_dir_reads_multi_document_yaml_and_yml(tmp_path: Path) -> None:
    gadget = WIDGET_YAML.replace("Widget", "Gadget").replace("widgets", "gadgets")
    (tmp_path / "a.yaml").write_text(f"---\n{WIDGET_YAML}---\n{gadget}---\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text(
        WIDGET_YAML.replace("example.com", "other.io"), encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("not: [yaml", encoding="utf-8")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "c.yaml").write_text("not: [yaml", encoding="utf-8")
    assert sorted(load_crd_dir([tmp_path])) == [
        ("example.com/v1", "Gadget"),
        ("example.com/v1", "Widget"),
        ("other.io/v1", "Widget"),
    ]


def test_load_crd_dir_accepts_files(tmp_path: Path) -> None:
    file = tmp_path / "widget.crd"
    file.write_text(WIDGET_YAML, encoding="utf-8")
    assert list(load_crd_dir([file])) == [("example.com/v1", "Widget")]


LOAD_ERRORS = [
    pytest.param(
        {"bad.yaml": "spec:\n  group: [example\n"},
        "bad.yaml:3:1: YAML syntax error: did not find expected ',' or ']'",
        id="broken-yaml",
    ),
    pytest.param(
        {"dup.yaml": "kind: A\nkind: B\n"},
        'dup.yaml:2:1: YAML syntax error: duplicate key "kind" with value "B"'
        ' (first set to "A" on line 1)',
        id="duplicate-key",
    ),
    pytest.param(
        {"mixed.yaml": WIDGET_YAML + "---\napiVersion: v1\nkind: ConfigMap\n"},
        "mixed.yaml: document 2: not a CustomResourceDefinition (kind 'ConfigMap')",
        id="not-a-crd",
    ),
    pytest.param(
        {"a.yaml": WIDGET_YAML, "b.yaml": WIDGET_YAML},
        "b.yaml: Widget example.com/v1 is also in {dir}/a.yaml",
        id="defined-twice",
    ),
]


@pytest.mark.parametrize(("files", "message"), LOAD_ERRORS)
def test_load_crd_dir_errors_name_the_file(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_crd_dir([tmp_path])
    assert str(raised.value) == f"{tmp_path}/" + message.format(dir=tmp_path)


def test_load_crd_dir_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as raised:
        load_crd_dir([tmp_path / "absent"])
    assert str(raised.value) == f"{tmp_path}/absent: no such file or directory"


OPERATOR_ENUM_YAML = WIDGET_YAML.replace(
    "openAPIV3Schema: {type: object}",
    """openAPIV3Schema:
          type: object
          properties:
            matchType:
              type: string
              enum:
                - '!='
                - =
                - =~
                - !~""".replace("- !~", "- '!~'"),
)


def test_a_crd_with_a_plain_equals_sign_in_an_enum_loads(tmp_path: Path) -> None:
    # As in kube-prometheus-stack's AlertmanagerConfig CRD: a plain `=` is the string "=".
    (tmp_path / "alertmanagerconfigs.yaml").write_text(OPERATOR_ENUM_YAML, encoding="utf-8")
    schema = load_crd_dir([tmp_path])[("example.com/v1", "Widget")].schema
    assert schema["properties"]["matchType"]["enum"] == ["!=", "=", "=~", "!~"]


# --- nulls the API server prunes before validating ---------------------------------------------

# (id, spec schema, spec instance, expected errors as (path inside the object, message))
NULL_CASES = [
    ("non-nullable-null-is-dropped", obj(a=obj(b=STRING)), {"a": None}, []),
    (
        "dropped-null-of-a-required-field-is-missing",
        obj(a=STRING) | {"required": ["a"]},
        {"a": None},
        [(("spec",), '"a" is a required property')],
    ),
    ("nullable-null-is-kept", obj(a=STRING | {"nullable": True}), {"a": None}, []),
    (
        "null-of-a-field-with-a-default-becomes-the-default",
        obj(a=STRING | {"default": "x", "enum": ["x"]}) | {"required": ["a"]},
        {"a": None},
        [],
    ),
    (
        "null-map-value-is-dropped",
        obj(a={"type": "object", "additionalProperties": STRING}),
        {"a": {"k": None, "v": "x"}},
        [],
    ),
    (
        "null-of-an-unknown-preserved-field-is-kept",
        obj(a=STRING) | {"x-kubernetes-preserve-unknown-fields": True},
        {"a": "x", "other": None},
        [],
    ),
    (
        "null-list-item-is-kept",
        obj(a={"type": "array", "items": STRING}),
        {"a": ["x", None]},
        [(("spec", "a", 1), 'null is not of type "string"')],
    ),
    (
        "nulls-inside-list-items-are-dropped",
        obj(a={"type": "array", "items": obj(b=STRING)}),
        {"a": [{"b": None}]},
        [],
    ),
]


@pytest.mark.parametrize(
    ("spec_schema", "spec", "expected"),
    [pytest.param(schema, spec, expected, id=name) for name, schema, spec, expected in NULL_CASES],
)
def test_nulls_pruned_as_the_api_server_prunes_them(
    spec_schema: dict[str, Any], spec: Any, expected: list[tuple[tuple[Any, ...], str]]
) -> None:
    (converted,) = crd_schemas(crd(spec_schema))
    checker = SchemaStore("1.34", {("example.com/v1", "Widget"): converted}).for_object(
        "example.com/v1", "Widget"
    )
    assert checker is not None
    document = widget(spec)
    before = copy.deepcopy(document)
    found = [(error.path, error.message) for error in checker.errors(document) or []]
    assert found == expected
    assert document == before  # checked as pruned, never changed


def test_cnpg_cluster_chart_null_postgresql_is_valid(
    shared_crds: dict[SchemaKey, CrdSchema],
) -> None:
    """CloudNativePG's `cluster` chart renders `postgresql: null` when no parameters are set."""
    store = SchemaStore("1.34", shared_crds)
    checker = store.for_object("postgresql.cnpg.io/v1", "Cluster")
    assert checker is not None
    document = cnpg_cluster()
    document["spec"]["postgresql"] = None
    assert checker.errors(document) == []
    document["spec"]["postgresql"] = "max_connections=200"
    assert [error.path for error in checker.errors(document) or []] == [("spec", "postgresql")]
