"""The reader reads every YAML file of the example and the benchmark stream to the same data and
positions as the project's previous reader did.

`tests/data/reader-baseline.json` was recorded once, with the previous reader, from the example
as it then was (each file's text is stored beside what it read) and from the benchmark stream (the
stream's sha256 and a digest per document). It is a fixed record, never regenerated.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import manifests
from gitopsctl.yaml import reader
from gitopsctl.yaml.nodes import PosMap, PosSeq

BASELINE = json.loads(
    (Path(__file__).parent / "data" / "reader-baseline.json").read_text(encoding="utf-8")
)


def canonical(node: Any) -> Any:
    """Data, types, key order and the position of every key, value and item, as JSON."""
    if isinstance(node, PosMap):
        entries = [[canonical(k), list(node.marks[k]), canonical(v)] for k, v in node.items()]
        return {"at": list(node.position), "map": entries}
    if isinstance(node, PosSeq):
        items = [[list(node.marks[i]), canonical(v)] for i, v in enumerate(node)]
        return {"at": list(node.position), "seq": items}
    if isinstance(node, float):
        return ["float", repr(float(node))]
    return [type(node).__name__, node]


def digest(document: Any) -> str:
    text = json.dumps(canonical(document), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(BASELINE["files"]))
def test_every_example_file_reads_as_before(name: str) -> None:
    entry = BASELINE["files"][name]
    documents = reader.parse_all(entry["text"], name)
    assert json.loads(json.dumps([canonical(d) for d in documents])) == entry["documents"]
    if len(documents) == 1:
        assert canonical(reader.parse(entry["text"], name)) == canonical(documents[0])


def test_the_benchmark_stream_reads_as_before() -> None:
    recorded = BASELINE["stream"]
    text = manifests.manifest_stream(recorded["objects"]).text
    assert hashlib.sha256(text.encode()).hexdigest() == recorded["sha256"]
    documents = list(reader.read_stream(text, "stream.yaml"))
    assert [digest(d.positioned) for d in documents] == recorded["documents"]
    assert all(reader.to_plain(d.positioned) == d.data for d in documents)


def test_non_finite_floats_keep_their_marker() -> None:
    data = next(reader.read_stream("a: .inf\nb: .nan\n", "x.yaml")).data
    assert math.isinf(data["a"]) and math.isnan(data["b"])
    assert type(data["a"]).__name__ == "NonFinite"
