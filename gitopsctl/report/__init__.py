"""Findings, exceptions, the rule catalog and the output formats."""
