#!/usr/bin/env python3
"""The command line: `python render.py --help`. Everything lives in the gitopsctl package.

Exit codes: 0 success, 1 findings (stale output, error-level findings), 2 unusable input or options,
3 an internal error (`--debug` prints its traceback).
"""

from __future__ import annotations

from gitopsctl.cli.main import main, main_and_exit

__all__ = ["main", "main_and_exit"]

if __name__ == "__main__":
    main_and_exit()
