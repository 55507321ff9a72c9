"""Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`), read as exactly as the API server reads
them (apimachinery's `resource.ParseQuantity`).

A quantity is a signed decimal number and one suffix: none, a decimal SI prefix (`n u m k M G T P
E`), a binary one (`Ki Mi Gi Ti Pi Ei`) or a decimal exponent (`e3`, `E-2`). Like the API server,
an empty number means 0 (`+`, `.5`, `5.` are accepted) and a value finer than a nano unit rounds
up, away from zero, to the next nano unit.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

_QUANTITY = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)")
_EXPONENT = re.compile(r"[eE][-+]?[0-9]+")
_SUFFIXES: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_NANO = 10**9


def parse_quantity(text: str) -> Decimal:
    """The value of a quantity in base units (cores, bytes); ValueError when it is not one."""
    found = _QUANTITY.fullmatch(text) if text else None
    if found is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    sign, whole, fraction, suffix = found.groups()
    number = Fraction(int(whole or "0")) + (
        Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0
    )
    value = number * _multiplier(text, suffix)
    nanos = math.ceil(value * _NANO)  # the API server keeps at most nano precision, rounding up
    # Built from its digits: exact whatever its size (arithmetic would round to 28 digits).
    return Decimal((1 if sign == "-" else 0, tuple(map(int, str(nanos))), -9))


def _multiplier(text: str, suffix: str) -> Fraction:
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if _EXPONENT.fullmatch(suffix):
        return Fraction(10) ** int(suffix[1:])
    raise ValueError(f"{text!r} is not a Kubernetes quantity (unknown suffix {suffix!r})")
