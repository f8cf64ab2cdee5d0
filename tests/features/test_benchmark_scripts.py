"""The start-up and broadcast benchmarks, run as scripts at a tiny size (their figures come from full runs): each
finishes and prints its figures (the start-up one its bare baseline too), and the broadcast reaches every group once
with no 429. Once, on SQLite: the PostgreSQL senders are test_fair_sending.py's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the scripts make their own SQLite file; run once, on SQLite")

ROOT = Path(__file__).resolve().parents[2]


def run_script(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_startup_benchmark_times_the_bot_and_the_bare_baseline_until_ready_and_prints_the_ratio() -> None:
    out = run_script("benchmarks/startup.py", "--runs", "1")
    found = re.search(
        r"ready in ([\d.]+) s .* ([\d.]+) s of CPU, RSS (\d+) MB .* bare bot on the named stack ([\d.]+) s, "
        r"RSS (\d+) MB; ratio ([\d.]+)",
        out,
    )
    assert found, out
    seconds, cpu, rss, bare, bare_rss, ratio = (float(value) for value in found.groups())
    assert cpu > 0 and 0 < seconds < 60 and 30 < rss < 1000
    assert 0 < bare < 60 and 30 < bare_rss < rss
    assert ratio == pytest.approx(seconds / bare, rel=0.05)  # the seconds are printed rounded to 0.01


def test_the_broadcast_benchmark_reaches_every_group_once_without_a_429() -> None:
    out = run_script("benchmarks/broadcast.py", "40")
    assert "delivered to 40 groups" in out, out
    assert re.search(r"429 answers\s*:\s*0\b", out), out
    assert re.search(r"groups sent it twice\s*:\s*0\b", out), out
