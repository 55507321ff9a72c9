"""Kubernetes quantities read exactly as the API server reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gitopsctl.kube.quantity import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("1", "1", id="plain"),
        pytest.param("500m", "0.5", id="milli"),
        pytest.param("250u", "0.00025", id="micro"),
        pytest.param("10n", "0.00000001", id="nano"),
        pytest.param("2k", "2000", id="kilo"),
        pytest.param("3M", "3000000", id="mega"),
        pytest.param("1G", "1000000000", id="giga"),
        pytest.param("1T", "1000000000000", id="tera"),
        pytest.param("1P", "1000000000000000", id="peta"),
        pytest.param("1E", "1000000000000000000", id="exa-not-exponent"),
        pytest.param("1Ki", "1024", id="kibi"),
        pytest.param("1.5Gi", "1610612736", id="gibi-fraction"),
        pytest.param("12Mi", "12582912", id="mebi"),
        pytest.param("1Ti", "1099511627776", id="tebi"),
        pytest.param("1Pi", "1125899906842624", id="pebi"),
        pytest.param("8Ei", "9223372036854775808", id="exbi-beyond-28-digits-exact"),
        pytest.param("2e3", "2000", id="exponent"),
        pytest.param("15E-1", "1.5", id="negative-exponent"),
        pytest.param("1e+2", "100", id="signed-exponent"),
        pytest.param("-1.5", "-1.5", id="negative"),
        pytest.param("+2", "2", id="plus"),
        pytest.param(".5", "0.5", id="no-whole-part"),
        pytest.param("5.", "5", id="no-fraction-digits"),
        pytest.param("0.1n", "0.000000001", id="below-nano-rounds-up"),
        pytest.param("1.0000000001", "1.000000001", id="nano-precision-rounds-up"),
    ],
)
def test_quantities(text: str, value: str) -> None:
    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "'' is not a Kubernetes quantity", id="empty"),
        pytest.param("abc", "'abc' is not a Kubernetes quantity", id="letters"),
        pytest.param("1.2.3", "'1.2.3' is not a Kubernetes quantity", id="two-points"),
        pytest.param(
            "1K", "'1K' is not a Kubernetes quantity (unknown suffix 'K')", id="upper-case-kilo"
        ),
        pytest.param("1ki", "'1ki' is not a Kubernetes quantity (unknown suffix 'ki')", id="ki"),
        pytest.param("1e", "'1e' is not a Kubernetes quantity (unknown suffix 'e')", id="bare-e"),
        pytest.param("1 Gi", "'1 Gi' is not a Kubernetes quantity", id="space"),
    ],
)
def test_not_quantities(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_quantity(text)
    assert str(raised.value) == message
