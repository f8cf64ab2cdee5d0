"""The garbage collector during a start: resting while `python -m bot run` starts (it would walk the growing heap
again and again), back once the process has started, and the start's garbage freed rather than frozen."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def in_a_fresh_process(code: str) -> object:
    """Run `code` in its own interpreter (freezing the heap would stay with the test process) and read what it
    prints."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return ast.literal_eval(result.stdout)


def test_the_collector_rests_while_the_bot_starts_and_resumes_once_it_has_started() -> None:
    code = """
import gc
import bot.__main__ as entry
from bot.app import freeze_start_up_heap

seen = []

async def dispatch(args, settings):
    seen.append((args.command, gc.isenabled()))
    freeze_start_up_heap()  # what run_until_signal does once the process has started
    seen.append((args.command, gc.isenabled()))
    return 0

entry.dispatch_command = dispatch
entry.main(["run"])
entry.main(["sandbox"])
entry.main(["passbook", "check"])
print(seen)
"""
    assert in_a_fresh_process(code) == [
        ("run", False),
        ("run", True),
        ("sandbox", False),
        ("sandbox", True),
        ("passbook", True),
        ("passbook", True),
    ]


def test_the_garbage_of_a_start_is_collected_before_the_heap_is_frozen() -> None:
    code = """
import gc, weakref
from bot.__main__ import collect_once_started
from bot.app import freeze_start_up_heap

class Node:
    pass

collect_once_started()
kept, cycle = Node(), Node()
cycle.self = cycle
kept.self = kept
cycle_ref = weakref.ref(cycle)
del cycle
freeze_start_up_heap()
print([cycle_ref() is None, gc.get_freeze_count() > 0, kept.self is kept])
"""
    assert in_a_fresh_process(code) == [True, True, True]
