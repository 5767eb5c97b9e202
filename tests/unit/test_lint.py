"""Ruff over the code, the tests and the benchmarks, with the rules in pyproject.toml: every line
within 120 characters, imports in order, no unused names, complexity at most 15. Ruff is in the test
extra, so a missing ruff fails here rather than skipping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def test_ruff_passes_over_the_code_tests_and_benchmarks():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "dashboard", "tests", "benchmarks"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"ruff check failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
