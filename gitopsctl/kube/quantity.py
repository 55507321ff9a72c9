"""Resource quantities (`cpu: 500m`, `memory: 12Gi`) as the API server reads them.

A port of k8s.io/apimachinery `resource.ParseQuantity`, reached through `Quantity.UnmarshalJSON`
(which trims surrounding white space first):

    <quantity> ::= <sign>? <digits>? ("." <digits>?)? <suffix>
    <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei               (binary: powers of 1024)
                 | n | u | m | "" | k | M | G | T | P | E    (decimal: powers of 1000)
                 | (e | E) <sign>? <digits>                 (a decimal exponent)

The Go scanner's leniencies are kept, since the API server has them: the number may be empty or
end in a dot (`+`, `.`, `Mi` and `1.G` parse; the first three as zero, though `Pi`, `Ei` and
`e-10` alone do not), and an exponent is an int64 truncated to 32 bits. A suffix must be spelt
exactly: `1K` and `512MB` do not parse. The value is rounded up, away from zero, to a multiple
of 10^-9, and a binary quantity is capped at 2^63-1, as the API server stores them.
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_SUFFIX_LETTERS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_NANO_EXPONENT = -9
_BINARY_MAX = Decimal(2**63 - 1)
# Exact arithmetic: a value such as 1e300 keeps every digit.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)

FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
SUFFIX_ERROR = "unable to parse quantity's suffix"
NUMERIC_ERROR = "unable to parse numeric part of quantity"


@functools.lru_cache(maxsize=1024)  # charts repeat a few values (100m, 128Mi) many times
def parse_quantity(text: str) -> Decimal:
    """The value of a quantity; ValueError (with Go's message) when the API server refuses it."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(FORMAT_ERROR)
    negative, whole, fraction, suffix = _scan(stripped)
    base, exponent = _interpret(suffix)
    if not whole and not fraction and _needs_exact_path(base, exponent):
        raise ValueError(NUMERIC_ERROR)  # Go's slow path parses the empty number and fails
    scale = Decimal(2**exponent) if base == 2 else Decimal(f"1e{exponent}")
    number = _EXACT.multiply(Decimal(f"{whole or 0}.{fraction or 0}"), scale)
    rounded = number.quantize(Decimal(f"1e{_NANO_EXPONENT}"), decimal.ROUND_UP, _EXACT)
    if base == 2 and rounded > _BINARY_MAX:
        rounded = _BINARY_MAX
    return -rounded if negative else rounded


def _scan(text: str) -> tuple[bool, str, str, str]:
    """Sign, whole digits, fraction digits and suffix, split the way Go's scanner splits them."""
    position = 1 if text[0] in "+-" else 0
    whole, position = _run(text, position, _DIGITS)
    fraction = ""
    if text.startswith(".", position):
        fraction, position = _run(text, position + 1, _DIGITS)
    suffix = text[position:]
    _, end = _run(suffix, 0, _SUFFIX_LETTERS)
    if suffix.startswith(("+", "-"), end):
        end += 1
    _, end = _run(suffix, end, _DIGITS)
    if end != len(suffix):
        raise ValueError(FORMAT_ERROR)
    return text[0] == "-", whole, fraction, suffix


def _run(text: str, start: int, allowed: frozenset[str]) -> tuple[str, int]:
    end = start
    while end < len(text) and text[end] in allowed:
        end += 1
    return text[start:end], end


def _interpret(suffix: str) -> tuple[int, int]:
    """The base and exponent a suffix stands for."""
    if suffix in _BINARY:
        return 2, _BINARY[suffix]
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix]
    exponent = _int64(suffix[1:]) if suffix[:1] in ("e", "E") else None
    if exponent is None:
        raise ValueError(SUFFIX_ERROR)
    return 10, (exponent + 2**31) % 2**32 - 2**31  # Go's int32(parsed)


def _int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not all(character in _DIGITS for character in digits):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def _needs_exact_path(base: int, exponent: int) -> bool:
    """Whether Go leaves its int64 fast path for a number without digits (read as "0")."""
    if base == 2:
        return 15 - 1 - int(exponent * 3 / 10) - 1 < 0
    return exponent < _NANO_EXPONENT
