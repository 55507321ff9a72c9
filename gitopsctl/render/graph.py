"""One environment's sync graph: each app and database with its sync wave, and an edge from each
dependency to the app that needs it (so arrows follow the sync order), as Mermaid or Graphviz.

Nodes are sorted by sync wave, then name; edges by their dependency's position, then their
dependent's. Three shapes: an app from an upstream chart, an app from a chart in this repository
(``charts/...``), and a database (a CloudNativePG cluster).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from gitopsctl.render.rendering import RenderedApp, RenderedEnvironment

UPSTREAM = "upstream"
LOCAL = "local"
DATABASE = "database"
STYLES = (  # shape kind, fill, stroke, text colour: set together so the labels stay legible
    (UPSTREAM, "#e3f2fd", "#1565c0", "#0d47a1"),
    (LOCAL, "#fff3e0", "#e65100", "#bf360c"),
    (DATABASE, "#e8f5e9", "#2e7d32", "#1b5e20"),
)
MERMAID_SHAPES = {UPSTREAM: ('["', '"]'), LOCAL: ('[["', '"]]'), DATABASE: ('[("', '")]')}
DOT_SHAPES = {UPSTREAM: "box", LOCAL: "component", DATABASE: "cylinder"}
# Words a Mermaid flowchart reads as syntax where a node id is expected (compared lower-cased).
MERMAID_KEYWORDS = frozenset(
    {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click", "linkstyle"}
    | {"direction", "default", "call", "href", "interpolate", "acctitle", "accdescr"}
)
EDGE_DIRECTION = "each arrow points from a dependency to the app that needs it"


class Node(NamedTuple):
    name: str
    wave: int
    shape: str


class Graph(NamedTuple):
    env: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]  # (dependency, dependent)


def graph_of(env: RenderedEnvironment) -> Graph:
    apps = sorted(env.apps.values(), key=lambda app: (app.wave, app.name))
    order = {app.name: index for index, app in enumerate(apps)}
    edges = {(dep, app.name) for app in apps for dep in app.unit.depends_on if dep in order}
    ordered = sorted(edges, key=lambda edge: (order[edge[0]], order[edge[1]]))
    return Graph(env.env.name, tuple(_node(app) for app in apps), tuple(ordered))


def _node(app: RenderedApp) -> Node:
    if app.unit.kind == "database":
        return Node(app.name, app.wave, DATABASE)
    return Node(app.name, app.wave, LOCAL if app.unit.chart.local else UPSTREAM)


def _by_shape(graph: Graph, shape: str) -> list[str]:
    return [node.name for node in graph.nodes if node.shape == shape]


# --- Mermaid ------------------------------------------------------------------------------------


def mermaid_id(name: str) -> str:
    """A Mermaid node id: ``-`` becomes ``_`` (app names have no ``_``, so ids stay distinct),
    and a keyword gets a trailing ``_``."""
    found = name.replace("-", "_")
    return f"{found}_" if found.lower() in MERMAID_KEYWORDS else found


def mermaid(graph: Graph) -> str:
    """A ``flowchart TD`` that GitHub renders inside a ```` ```mermaid ```` block."""
    lines = ["flowchart TD", f"    %% environment {graph.env}: {EDGE_DIRECTION}"]
    for node in graph.nodes:
        start, end = MERMAID_SHAPES[node.shape]
        lines.append(f"    {mermaid_id(node.name)}{start}{node.name}<br/>wave {node.wave}{end}")
    lines += [f"    {mermaid_id(dep)} --> {mermaid_id(app)}" for dep, app in graph.edges]
    for shape, fill, stroke, color in STYLES:
        lines.append(f"    classDef {shape} fill:{fill},stroke:{stroke},color:{color}")
    for shape, *_ in STYLES:
        members = _by_shape(graph, shape)
        if members:
            lines.append(f"    class {','.join(mermaid_id(name) for name in members)} {shape}")
    return "\n".join(lines) + "\n"


# --- Graphviz -----------------------------------------------------------------------------------


def dot_quote(text: str) -> str:
    return f'"{_dot_escape(text)}"'


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(graph: Graph) -> str:
    """A Graphviz ``digraph``: ``dot -Tsvg`` draws it top to bottom in sync order."""
    lines = [
        f"digraph {dot_quote(graph.env)} {{",
        f"    // {EDGE_DIRECTION}",
        "    rankdir=TB;",
        '    node [fontname="Helvetica", style=filled];',
    ]
    fills = {shape: fill for shape, fill, *_ in STYLES}
    for node in graph.nodes:
        # In a dot label, the two characters \n are a line break.
        label = f'"{_dot_escape(node.name)}\\nwave {node.wave}"'
        shape, fill = DOT_SHAPES[node.shape], fills[node.shape]
        lines.append(
            f'    {dot_quote(node.name)} [label={label}, shape={shape}, fillcolor="{fill}"];'
        )
    lines += [f"    {dot_quote(dep)} -> {dot_quote(app)};" for dep, app in graph.edges]
    lines += _dot_ranks(graph)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_ranks(graph: Graph) -> list[str]:
    """One row per sync wave."""
    waves: dict[int, list[str]] = {}
    for node in graph.nodes:
        waves.setdefault(node.wave, []).append(dot_quote(node.name))
    return [f"    {{ rank=same; {'; '.join(names)}; }}" for names in waves.values()]


GRAPH_FORMATS: dict[str, Callable[[Graph], str]] = {"mermaid": mermaid, "dot": dot}
