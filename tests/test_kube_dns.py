"""Ingress hosts and Secret names as Kubernetes validates them (DNS-1123, wildcard hosts)."""

from __future__ import annotations

import pytest

from gitopsctl.kube.dns import (
    host_problem,
    label_problem,
    rfc1035_label_problem,
    subdomain_problem,
)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        pytest.param("retool.platform.example.com", None, id="subdomain-PASSED"),
        pytest.param("*.platform.example.com", None, id="leading-wildcard-PASSED"),
        pytest.param("localhost", None, id="one-label-PASSED"),
        pytest.param("a" * 63 + ".example.com", None, id="63-character-label-PASSED"),
        pytest.param(("a" * 62 + ".") * 4 + "a", None, id="253-characters-PASSED"),
        pytest.param("", "it is empty", id="empty-FAILED"),
        pytest.param("re tool.example.com", "it has the character ' '", id="space-FAILED"),
        pytest.param("a\x07b.example.com", "it has the character '\\x07'", id="control-FAILED"),
        pytest.param("Retool.example.com", "it has upper-case letters", id="upper-case-FAILED"),
        pytest.param(
            "retool.example.com.",
            "it ends in a dot (Kubernetes does not take the root label)",
            id="trailing-dot-FAILED",
        ),
        pytest.param(
            "a" * 64 + ".example.com",
            f"its label {'a' * 20!r}... has 64 characters, more than 63",
            id="64-character-label-FAILED",
        ),
        pytest.param(
            ("a" * 62 + ".") * 4 + "ab",
            "it has 254 characters, more than 253",
            id="254-characters-FAILED",
        ),
        pytest.param(
            "rétool.example.com",
            "it has non-ASCII characters (write an internationalized name in punycode)",
            id="non-ascii-FAILED",
        ),
        pytest.param(
            "*.*.example.com",
            "it has a '*' that is not its whole first label",
            id="two-wildcards-FAILED",
        ),
        pytest.param(
            "retool.*.com",
            "it has a '*' that is not its whole first label",
            id="inner-wildcard-FAILED",
        ),
        pytest.param(
            "-retool.example.com",
            "its label '-retool' does not start and end with a letter or digit",
            id="leading-dash-FAILED",
        ),
        pytest.param(
            "retool..example.com",
            "it has an empty label (a leading or double dot)",
            id="double-dot-FAILED",
        ),
        pytest.param(
            "10.0.0.1",
            "an IP address is not a host name: Kubernetes accepts only DNS names",
            id="ip-address-FAILED",
        ),
        pytest.param("a_b.example.com", "it has the character '_'", id="underscore-FAILED"),
    ],
)
def test_ingress_hosts(host: str, problem: str | None) -> None:
    assert host_problem(host) == problem


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        pytest.param("retool-platform-example-com-tls", None, id="secret-name-PASSED"),
        pytest.param("*-example-com-tls", "it has a '*'", id="wildcard-FAILED"),
        pytest.param("10.0.0.1", None, id="dotted-digits-PASSED"),
    ],
)
def test_subdomains(name: str, problem: str | None) -> None:
    assert subdomain_problem(name) == problem


LABEL_TOO_LONG = f"its label {'a' * 20!r}... has 64 characters, more than 63"


@pytest.mark.parametrize(
    ("name", "label", "rfc1035"),
    [
        pytest.param("retool", None, None, id="letters-PASSED"),
        pytest.param("retool-2", None, None, id="digit-at-end-PASSED"),
        pytest.param("a" * 63, None, None, id="63-characters-PASSED"),
        pytest.param("2fa", None, "it does not start with a letter", id="leading-digit-FAILED"),
        pytest.param("a" * 64, LABEL_TOO_LONG, LABEL_TOO_LONG, id="64-characters-FAILED"),
        pytest.param(
            "retool.tools",
            "it has a '.' (a label is one part of a domain name)",
            "it has a '.' (a label is one part of a domain name)",
            id="dot-FAILED",
        ),
        pytest.param(
            "retool-",
            "its label 'retool-' does not start and end with a letter or digit",
            "its label 'retool-' does not start and end with a letter or digit",
            id="trailing-hyphen-FAILED",
        ),
        pytest.param("", "it is empty", "it is empty", id="empty-FAILED"),
    ],
)
def test_labels(name: str, label: str | None, rfc1035: str | None) -> None:
    assert (label_problem(name), rfc1035_label_problem(name)) == (label, rfc1035)
