"""How a run executes: chunks that end on the file's clusters, workers set up as they should.

Chunking decides speed, never the answer (invariant 1): chunks that end where a file's
clusters end read each basket once, and give the same histograms as any other chunking.
A run leaves the process that called it as it found it: ``os.environ`` (which
distributed's nannies write into) and the garbage collector.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from opencoffea import generate, run
from opencoffea.config import Execution
from opencoffea.datasets.fileset import InputFile
from opencoffea.events import describe, events_from, open_file
from opencoffea.execution.chunking import edges, split
from opencoffea.execution.executors import executors
from opencoffea.execution.loop import Loop
from opencoffea.execution.prepass import prepass

from .helpers import assert_same_histograms, config_of
from .test_run import DIMUON, DIMUON_HISTOGRAMS


@pytest.fixture(scope="module")
def clustered(tmp_path_factory) -> Path:
    """5000 Drell-Yan events written in clusters of 700 (every branch a basket a cluster)."""
    path = tmp_path_factory.mktemp("clustered") / "dy_clusters_of_700.root"
    return generate("dy_mumu", path, 5000, seed=5, chunk_size=700)


def scan(path: Path, checksum: str | None = None):
    """The pre-pass of one file, on the iterative executor."""
    with executors(Execution(executor="iterative")) as backend:
        loop = Loop(backend, "Reading files", "file", status=False)
        (scanned,) = prepass([InputFile("DY", str(path), checksum=checksum)], loop).scans
    return scanned


def test_the_prepass_learns_where_clusters_start_and_chunks_end_there(clustered):
    scanned = scan(clustered)
    assert scanned.record.info.num_entries == 5000
    assert scanned.clusters == (*range(0, 5000, 700), 5000)

    chunks, _ = split([scanned], chunksize=1000)
    # 700 is nearer to 1000 than 1400 is: a cluster a chunk, but the last two together
    assert [c.events for c in chunks] == [700] * 6 + [800]
    assert {c.entry_stop for c in chunks} <= set(scanned.clusters)
    chunks, _ = split([scanned], chunksize=1300)
    assert [c.events for c in chunks] == [1400, 1400, 1400, 800]


def test_a_cached_prepass_keeps_the_clusters(clustered, tmp_path):
    copy = tmp_path / "copy.root"
    copy.write_bytes(clustered.read_bytes())
    first = scan(copy, checksum="adler32:0badcafe")
    copy.unlink()  # the second pre-pass must not need the file
    assert scan(copy, checksum="adler32:0badcafe") == first


@pytest.mark.parametrize(
    ("clusters", "entries", "chunksize", "expected"),
    [
        # one cluster, the whole file (written in one go): chunks of the chunksize, as ever
        ([0, 2500], 2500, 1000, [0, 1000, 2000, 2500]),
        # a cluster of twice the chunksize is one chunk: its baskets are read once
        ([0, 100, 200, 300], 300, 50, [0, 100, 200, 300]),
        # larger: cut into chunks of the chunksize, then back on the clusters
        ([0, 100, 300], 300, 40, [0, 40, 80, 100, 140, 180, 220, 260, 300]),
        # the nearest boundary, the earlier of two as near
        ([0, 30, 60, 90, 120], 120, 45, [0, 30, 60, 90, 120]),
        ([0, 30, 60, 90, 120], 120, 50, [0, 60, 120]),
        # no entries, no chunks
        ([0], 0, 1000, [0]),
    ],
)
def test_chunk_edges(clusters, entries, chunksize, expected):
    assert edges(clusters, entries, chunksize) == expected


def test_chunks_on_clusters_give_the_histograms_of_any_other_chunking(clustered, tmp_path):
    config = config_of(
        tmp_path,
        datasets={"DY": {"files": [str(clustered)], "kind": "mc", "xsec": 10.0}},
        histograms=DIMUON_HISTOGRAMS,
        code=DIMUON,
        cls="DimuonSpectrum",
    )
    whole = run(config, chunksize=10_000, status=False)
    on_clusters = run(config, chunksize=1000, status=False)  # edges at multiples of 700
    across = run(config, chunksize=333, status=False)  # the clusters of 700 cut in three
    assert (whole.execution.chunks, on_clusters.execution.chunks) == (1, 7)
    assert across.execution.chunks == 7 * 3 + 1  # and the last one, of 100 entries
    for other in (on_clusters, across):
        assert_same_histograms(whole.raw, other.raw)
        assert other.cutflows == whole.cutflows
        assert other.inputs == whole.inputs


def test_chunks_of_one_file_share_its_structure_but_not_their_metadata(nanoaod):
    path = str(nanoaod("nano_dy.root"))
    with open_file(path) as file:
        info = describe(file, path)
        first = events_from(file, info, entry_stop=20, metadata={"dataset": "DY"})
        second = events_from(file, info, entry_start=20, metadata={"dataset": "DY"})
        assert first.fields == second.fields
        assert first.Muon.fields == second.Muon.fields
        assert (first.metadata["entrystart"], second.metadata["entrystart"]) == (0, 20)
        assert first.metadata["entrystop"] == second.metadata["entrystart"]
        assert len(first) + len(second) == info.num_entries


def test_an_iterative_run_leaves_the_garbage_collector_as_it_was(tmp_path):
    config = config_of(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 500}, "kind": "data"}},
    )
    frozen = gc.get_freeze_count()
    run(config, executor="iterative", status=False)
    assert gc.get_freeze_count() == frozen


# A dask run in a process of its own, so that a cluster that hangs is killed, not the tests.
DASK_RUN = """
import json, os, sys
import dask
from opencoffea import load_config, run
from opencoffea.config import Execution
from opencoffea.execution.executors import executors
from opencoffea.execution.loop import Loop

before = dict(os.environ)
result = run(load_config(sys.argv[1]), executor="dask", workers=1, status=False)
after_run = dict(os.environ)
with executors(Execution(executor="dask", workers=1)) as backend:
    client = backend.client
    workers = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
print(json.dumps({
    "events": result.events_processed,
    "changed": sorted(k for k in set(before) | set(after_run) if before.get(k) != after_run.get(k)),
    "same_afterwards": dict(os.environ) == before,
    "workers_malloc_trim": list(workers.values()),
    "workers_profiling": list(profiling.values()),
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
    # the workers keep glibc's own malloc settings, as a process of the iterative executor,
    # and do not sample their own stacks for a dashboard there is not
    assert report["workers_malloc_trim"] == [None]
    assert report["workers_profiling"] == [False]
