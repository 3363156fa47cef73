"""How a run executes: workers set up as they should.

A run leaves the process that called it as it found it: ``os.environ``, which
distributed's nannies write into.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from .helpers import config_of

# A dask run in a process of its own, so that a cluster that hangs is killed, not the tests.
DASK_RUN = """
import json, os, sys
from opencoffea import load_config, run
from opencoffea.config import Execution
from opencoffea.execution.executors import executors

before = dict(os.environ)
result = run(load_config(sys.argv[1]), executor="dask", workers=1, status=False)
after_run = dict(os.environ)
with executors(Execution(executor="dask", workers=1), status=False) as make:
    client = make("workers' environment", "worker").client
    workers = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
print(json.dumps({
    "events": result.events_processed,
    "changed": sorted(k for k in set(before) | set(after_run) if before.get(k) != after_run.get(k)),
    "same_afterwards": dict(os.environ) == before,
    "workers_malloc_trim": list(workers.values()),
}))
"""


@pytest.mark.slow
def test_a_dask_run_leaves_the_driver_environment_as_it_was(tmp_path):
    """distributed's nannies set MALLOC_TRIM_THRESHOLD_ (and more) in the driver's
    environment; later process pools would inherit it, and it slows every chunk."""
    config = config_of(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 2000}, "kind": "data"}},
    )
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DASK_RUN), str(config.source)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["events"] == 2000
    assert report["changed"] == []
    assert report["same_afterwards"]
    # the workers keep glibc's own malloc settings, as a process of the iterative executor
    assert report["workers_malloc_trim"] == [None]
