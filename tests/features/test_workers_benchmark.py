"""The workers benchmark, tiny (the figures come from `python benchmarks/workers.py`): the same reports go through
one worker process and then two on PostgreSQL, and both phases leave every update done and the same tickets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.workers import measure
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="worker processes share PostgreSQL (TEST_DATABASE_URL)")


def test_one_and_two_worker_processes_process_the_same_reports(migrated_postgres: str) -> None:
    with ThreadPoolExecutor(1) as pool:  # the benchmark runs its own event loops
        one, two = pool.submit(measure, migrated_postgres, 60, 5, (1, 2)).result()
    assert (one.workers, two.workers) == (1, 2)
    assert one.tickets == two.tickets > 0
    assert one.rate > 0 and two.rate > 0
    # both processes are measured; with 5 groups one worker may hold every chat's turn and do all the work
    assert len(two.worker_cpu) == 2 and all(cpu >= 0 for cpu in two.worker_cpu) and sum(two.worker_cpu) > 0
