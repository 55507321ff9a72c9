"""The command line (click): one module per command."""
