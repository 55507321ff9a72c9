"""The round-trip editor: each edit changes only the lines it must, every other byte stays."""

from __future__ import annotations

import pytest

from gitopsctl.errors import InputError
from gitopsctl.paths import ValuePath
from gitopsctl.sources.editing import set_values

VERSION: ValuePath = ("apps", "retool", "chart", "version")
Entries = list[tuple[ValuePath, object]]


@pytest.mark.parametrize(
    ("before", "entries", "after"),
    [
        pytest.param(
            "apps:\n  retool:\n    values:\n      replicaCount: 3\n\n  # next\n  keycloak:\n",
            [(VERSION, "6.6.0")],
            "apps:\n  retool:\n    values:\n      replicaCount: 3\n    chart:\n"
            "      version: 6.6.0\n\n  # next\n  keycloak:\n",
            id="new-key-inside-its-block-before-the-blank-line-and-comment",
        ),
        pytest.param(
            "apps:\n  retool:   # on\n\n  # next\n  keycloak:\n",
            [(VERSION, "6.6.0")],
            "apps:\n  retool:   # on\n    chart:\n      version: 6.6.0\n\n  # next\n  keycloak:\n",
            id="null-becomes-a-block-keeping-its-comment",
        ),
        pytest.param(
            "apps:\n  retool: {values: {replicaCount: 3}}\n",
            [(VERSION, "6.6.0")],
            "apps:\n  retool: {values: {replicaCount: 3}, chart: {version: 6.6.0}}\n",
            id="flow-map-stays-flow",
        ),
        pytest.param(
            "values:\n  tag: '3.51'  # the tag\n  name: \"x\"\n  plain: v1\n",
            [
                (("values", "tag"), "3.52"),
                (("values", "name"), "y"),
                (("values", "plain"), "1.0"),
                (("values", "new"), "true"),
            ],
            'values:\n  tag: \'3.52\'  # the tag\n  name: "y"\n  plain: "1.0"\n  new: "true"\n',
            id="quoting-kept-and-strings-that-read-otherwise-double-quoted",
        ),
        pytest.param(
            "apps:\n  retool:\n    values:\n      a:   1     # keep\n  x:    2\n",
            [(VERSION, "6.6.0")],
            "apps:\n  retool:\n    values:\n      a:   1     # keep\n    chart:\n"
            "      version: 6.6.0\n  x:    2\n",
            id="spacing-ruamel-would-normalise-kept",
        ),
        pytest.param(
            "list:\n  - a\n  - b\n\nother: 1\n",
            [(("list",), ["a", "b", "c"]), (("new",), {"x": [1]})],
            "list:\n  - a\n  - b\n  - c\n\nother: 1\nnew:\n  x:\n    - 1\n",
            id="indented-sequences-and-a-replaced-list-keeps-the-gap-after-it",
        ),
        pytest.param(
            "a:\n  b:\n    c: 1\n\n# z\nd: 2\n",
            [(("a", "b"), 5)],
            "a:\n  b: 5\n\n# z\nd: 2\n",
            id="block-replaced-by-a-scalar",
        ),
        pytest.param(
            "apps:\n    retool:\n        values:\n            replicaCount: 3\n",
            [(VERSION, "6.6.0")],
            "apps:\n    retool:\n        values:\n            replicaCount: 3\n        chart:\n"
            "            version: 6.6.0\n",
            id="four-space-indentation",
        ),
        pytest.param(
            "apps:\r\n  retool:\r\n    values: {a: 1}  # c\r\n\r\n  x:\r\n",
            [(VERSION, "6.6.0")],
            "apps:\r\n  retool:\r\n    values: {a: 1}  # c\r\n    chart:\r\n"
            "      version: 6.6.0\r\n\r\n  x:\r\n",
            id="crlf-line-endings",
        ),
        pytest.param(
            "---\napps:\n  retool:",
            [(VERSION, "6.6.0")],
            "---\napps:\n  retool:\n    chart:\n      version: 6.6.0\n",
            id="document-start-kept-final-newline-added",
        ),
        pytest.param(
            "apps:\n  retool:\n    chart: {version: 6.5.2}\n",
            [(VERSION, "6.6.0")],
            "apps:\n  retool:\n    chart: {version: 6.6.0}\n",
            id="value-replaced-in-place",
        ),
    ],
)
def test_an_edit_changes_only_its_lines(before: str, entries: Entries, after: str) -> None:
    assert set_values(before, "f.yaml", entries) == after


@pytest.mark.parametrize(
    ("before", "entries", "message"),
    [
        pytest.param(
            "apps:\n  retool:\n    values: [1]\n",
            [(("apps", "retool", "values", "image", "tag"), "1")],
            "f.yaml:3:5: cannot set apps.retool.values.image.tag: apps.retool.values is not a "
            "mapping",
            id="not-a-mapping-on-the-way",
        ),
        pytest.param(
            "apps:\n  retool: {values: {a: 1,\n     b: 2}}\n",
            [(VERSION, "6.6.0")],
            "f.yaml: cannot edit this file without reformatting it from line 2 on (ruamel.yaml "
            "writes that part differently, e.g. a flow collection over several lines): "
            "edit it by hand",
            id="flow-collection-over-two-lines",
        ),
        pytest.param(
            "apps: [\n",
            [(VERSION, "6.6.0")],
            "f.yaml:2:1: cannot edit: expected the node content, but found '<stream end>'",
            id="broken-yaml",
        ),
    ],
)
def test_an_edit_that_cannot_keep_the_file_is_refused(
    before: str, entries: Entries, message: str
) -> None:
    with pytest.raises(InputError) as raised:
        set_values(before, "f.yaml", entries)

    assert str(raised.value) == message
