"""Resource quantities as the API server parses them (apimachinery's resource.ParseQuantity)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gitopsctl.kube.quantity import FORMAT_ERROR, NUMERIC_ERROR, SUFFIX_ERROR, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("6", "6", id="integer"),
        pytest.param("4096m", "4.096", id="milli"),
        pytest.param("100n", "0.0000001", id="nano"),
        pytest.param("250u", "0.00025", id="micro"),
        pytest.param("1k", "1000", id="kilo"),
        pytest.param("2M", "2000000", id="mega"),
        pytest.param("3G", "3e9", id="giga"),
        pytest.param("1T", "1e12", id="tera"),
        pytest.param("1P", "1e15", id="peta"),
        pytest.param("1E", "1e18", id="exa-not-an-exponent"),
        pytest.param("512Mi", "536870912", id="mebi"),
        pytest.param("12Gi", "12884901888", id="gibi"),
        pytest.param("1Ki", "1024", id="kibi"),
        pytest.param("1Ti", "1099511627776", id="tebi"),
        pytest.param("1.5Gi", "1610612736", id="fraction-binary"),
        pytest.param("0.5", "0.5", id="fraction"),
        pytest.param(".5", "0.5", id="no-whole-part"),
        pytest.param("1.", "1", id="trailing-dot"),
        pytest.param("1.G", "1e9", id="trailing-dot-before-suffix"),
        pytest.param("1e3", "1000", id="exponent"),
        pytest.param("1E3", "1000", id="capital-exponent"),
        pytest.param("1e+3", "1000", id="signed-exponent"),
        pytest.param("5e-3", "0.005", id="negative-exponent"),
        pytest.param("+2", "2", id="plus-sign"),
        pytest.param("-2", "-2", id="minus-sign"),
        pytest.param("007", "7", id="leading-zeros"),
        pytest.param(" 2Gi ", "2147483648", id="white-space-trimmed-as-json-decoding-does"),
        pytest.param("0.1n", "1e-9", id="rounded-up-to-a-nano"),
        pytest.param("1e-10", "1e-9", id="tiny-rounded-up-to-a-nano"),
        pytest.param("-1e-10", "-1e-9", id="negative-rounded-away-from-zero"),
        pytest.param("9Ei", str(2**63 - 1), id="binary-capped-at-int64"),
        pytest.param("1e4294967296", "1", id="exponent-truncated-to-32-bits"),
        pytest.param("+", "0", id="go-accepts-a-lone-sign"),
        pytest.param(".", "0", id="go-accepts-a-lone-dot"),
        pytest.param("Mi", "0", id="go-accepts-a-lone-suffix"),
    ],
)
def test_parses(text: str, value: str) -> None:
    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("512MB", FORMAT_ERROR, id="bytes-suffix"),
        pytest.param("1Gb", FORMAT_ERROR, id="bits-suffix"),
        pytest.param("", FORMAT_ERROR, id="empty"),
        pytest.param("   ", FORMAT_ERROR, id="blank"),
        pytest.param("1 Gi", FORMAT_ERROR, id="space-inside"),
        pytest.param("1..5", FORMAT_ERROR, id="two-dots"),
        pytest.param("1,5", FORMAT_ERROR, id="comma"),
        pytest.param("abc", FORMAT_ERROR, id="word"),
        pytest.param("1K", SUFFIX_ERROR, id="capital-kilo"),
        pytest.param("1mi", SUFFIX_ERROR, id="lower-case-binary"),
        pytest.param("1Ki5", SUFFIX_ERROR, id="digits-after-suffix"),
        pytest.param("1e", SUFFIX_ERROR, id="exponent-without-digits"),
        pytest.param("1e1.5", FORMAT_ERROR, id="fractional-exponent"),
        pytest.param("1e99999999999999999999", SUFFIX_ERROR, id="exponent-beyond-int64"),
        pytest.param("1-5", SUFFIX_ERROR, id="sign-without-exponent"),
        pytest.param("Pi", NUMERIC_ERROR, id="lone-large-binary-suffix"),
        pytest.param("e-10", NUMERIC_ERROR, id="lone-small-exponent"),
    ],
)
def test_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_quantity(text)
    assert str(raised.value) == message
