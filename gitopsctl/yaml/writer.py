"""The one YAML writer: block YAML for plain data, read back as the same data by YAML 1.2 and by
Helm's YAML 1.1 parser, so every string that either version would take for something else is
quoted. Only commands that write import it (its patterns are costly to compile).
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

# Helm reads values with a YAML 1.1 parser: quote every string it would take for something else.
_IMPLICIT = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    |[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?0[0-7_]+|[-+]?0o[0-7]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
    |<<|=)$""",
    re.VERBOSE,
)
_PLAIN_FIRST = re.compile(r"^[^-?:,\[\]{}#&*!|>'\"%@`\s]|^[-?:][^\s]")
# Anything outside YAML's printable set, and line breaks: written as escapes in double quotes.
_PRINTABLE = r"\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"
_CONTROL = re.compile(rf"[^{_PRINTABLE}]|[\u2028\u2029\ufeff]")
_PLAIN_UNSAFE = re.compile(r": |:$| #|\s$")
_BLOCK_UNSAFE = re.compile(rf"[^\n{_PRINTABLE}]|[ \t]\n|[\u2028\u2029\ufeff]")


def dump(data: Any) -> str:
    """Block YAML for plain data, in the caller's key order."""
    if isinstance(data, dict | list) and data:
        lines: list[str] = []
        _lines(data, 0, lines)
        return "".join(lines)
    return _inline(data) + "\n"


# The lines are appended to one list: nested generators would pass every line up through each
# level of nesting, which cost more than writing them.
def _lines(data: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(data, dict):
        for key, value in data.items():
            _entry(f"{pad}{_string(str(key))}:", value, indent + 2, indent, out)
    else:
        for value in data:
            _entry(f"{pad}  -", value, indent + 4, indent + 4, out, item=True)


def _entry(
    head: str, value: Any, indent: int, nested: int, out: list[str], item: bool = False
) -> None:
    if isinstance(value, str):  # most values: tested first
        if "\n" in value and _literal(value):
            out.append(f"{head} |{'' if value.endswith(chr(10)) else '-'}\n")
            out.extend(f"{' ' * indent}{line}\n" if line else "\n" for line in value.splitlines())
        else:
            out.append(f"{head} {_string(str(value))}\n")
    elif isinstance(value, dict) and value:
        if item:
            first = len(out)
            _lines(value, nested, out)
            out[first] = f"{head} {out[first].lstrip()}"
        else:
            out.append(head + "\n")
            _lines(value, indent, out)
    elif isinstance(value, list) and value:
        out.append(head + "\n")
        _lines(value, indent - 2, out)
    else:
        out.append(f"{head} {_inline(value)}\n")


def _literal(value: str) -> bool:
    body = value[:-1] if value.endswith("\n") else value
    return (
        "\n" in body
        and not body.endswith("\n")
        and not value.startswith((" ", "\n"))
        and not _BLOCK_UNSAFE.search(value)
    )


def _inline(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _string(str(value))


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    # YAML 1.1 (Helm) needs a dot in the mantissa and a signed exponent to see a float.
    mantissa, _, exponent = repr(value).partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}" if exponent else mantissa


@functools.cache  # keys and many values repeat across thousands of files
def _string(value: str) -> str:
    if _CONTROL.search(value):
        quoted = json.dumps(value, ensure_ascii=False)
        return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)
    if _IMPLICIT.match(value) or not _PLAIN_FIRST.match(value) or _PLAIN_UNSAFE.search(value):
        return "'" + value.replace("'", "''") + "'"
    return value
