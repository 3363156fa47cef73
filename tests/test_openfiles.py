"""Files kept open between chunks: frozen out of the garbage collector, freed when closed,
and read once per run, however many files a dataset has.

An open NanoAOD file's metadata is some 120,000 objects in reference cycles; the event
loop freezes them while the file is open and takes them apart when it closes it
(``execution/openfiles.py``). What must hold: a closed file leaves nothing behind, even
when taking it apart does not break every cycle, and a run of more files than a process
keeps open reads each file's tree once (the pre-pass runs each file that is one chunk).
"""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest
import uproot
from uproot.model import Model

from opencoffea import run
from opencoffea.config import Execution
from opencoffea.datasets.fileset import InputFile
from opencoffea.execution import openfiles
from opencoffea.execution.checkpoint import kept
from opencoffea.execution.chunking import Chunk
from opencoffea.execution.executors import executors
from opencoffea.execution.loop import Loop
from opencoffea.execution.openfiles import OpenFiles
from opencoffea.execution.prepass import SmallFiles, prepass

from .conftest import real_file
from .helpers import assert_same_histograms, config_of

FEW_BRANCHES = """
import awkward as ak
from opencoffea import Processor

class MuonPt(Processor):
    def analyze(self, events, out):
        out.cut("a muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt[:, 0])
"""


@pytest.fixture
def frozen_state():
    """The collector's permanent generation restored after the test, as a run leaves it."""
    gc.collect()
    yield
    gc.unfreeze()
    gc.collect()


def uproot_objects() -> int:
    """The uproot objects alive (tracked by the collector, frozen ones included)."""
    gc.unfreeze()  # only so that get_objects() sees them; the caller's freeze is restored
    try:
        return sum(isinstance(o, Model) for o in gc.get_objects())
    finally:
        gc.freeze()


def test_an_open_files_metadata_is_frozen_and_closing_it_frees_it(frozen_state):
    path = str(real_file("nanoaod", "nano_tt_v15.root"))
    before = uproot_objects()
    files = OpenFiles(size=1)
    tree = weakref.ref(files.get(path, "Events")["Events"])
    assert gc.get_freeze_count() > 100_000  # the tree's 2,656 branches, out of every pass
    assert uproot_objects() - before > 30_000
    files.close_all()
    assert tree() is None
    assert uproot_objects() - before < 100  # all of it, without a pass of the collector


def test_closing_frees_the_file_even_where_taking_it_apart_breaks_no_cycle(
    frozen_state, monkeypatch
):
    # An uproot release with references this module does not know: the fallback's full pass.
    monkeypatch.setattr(openfiles, "dismantle", lambda model: None)
    path = str(real_file("nanoaod", "nano_dy.root"))
    files = OpenFiles(size=1)
    tree = weakref.ref(files.get(path)["Events"])
    files.close_all()
    assert tree() is None


def test_the_least_recently_used_file_is_closed_and_its_metadata_freed(frozen_state, tmp_path):
    source = real_file("nanoaod", "nano_dy.root")
    paths = [shutil.copy(source, tmp_path / f"dy_{i}.root") for i in range(4)]
    files = OpenFiles(size=2)
    trees = [weakref.ref(files.get(str(p))["Events"]) for p in paths]
    assert [t() is None for t in trees] == [True, True, False, False]
    files.close_all()
    assert all(t() is None for t in trees)


def test_a_dataset_of_more_files_than_kept_open_reads_each_tree_once(tmp_path, monkeypatch):
    source = real_file("nanoaod", "nano_dy.root")
    copies = [str(shutil.copy(source, tmp_path / f"dy_{i}.root")) for i in range(7)]
    datasets = {"DY": {"files": copies, "kind": "mc", "xsec": 1.0}}
    config = config_of(tmp_path, datasets=datasets, code=FEW_BRANCHES)
    opened: list[str] = []
    real_open = openfiles.open_file

    def counting(path: str, **options) -> uproot.ReadOnlyDirectory:
        opened.append(Path(path).name)
        return real_open(path, **options)

    monkeypatch.setattr(openfiles, "open_file", counting)
    result = run(config, executor="iterative", status=False)
    assert sorted(opened) == sorted(Path(c).name for c in copies)  # each once: 7 > 4 kept open
    assert result.events_processed == 7 * 40

    # The same histograms as chunks that each open their file afresh (no chunks in the
    # pre-pass when only some chunks are to run), and as smaller chunks.
    opened.clear()
    again = run(config, executor="iterative", status=False, max_chunks=100)
    assert len(opened) > len(copies)
    assert_same_histograms(result.raw, again.raw)
    smaller = run(config, executor="iterative", status=False, chunksize=7)
    assert_same_histograms(result.raw, smaller.raw)


def test_the_prepass_processes_a_file_that_is_one_chunk_and_only_scans_a_larger_one(tmp_path):
    # A larger file's chunks are left to the event loop, shared among the workers: its
    # first chunk in the pre-pass would leave the others idle meanwhile.
    small, large = (shutil.copy(real_file("nanoaod", "nano_dy.root"), tmp_path / n) for n in "ab")
    files = [InputFile("DY", str(small)), InputFile("DY", str(large))]
    ran: list[Chunk] = []
    with executors(Execution(executor="iterative")) as backend:
        loop = Loop(backend, "Reading files", "file", status=False)
        found = prepass(files[:1], loop, SmallFiles(lambda c: c.events, 40, done=appended_to(ran)))
        assert [(c.info.path, value) for c, value in found.processed] == [(str(small), 40)]
        assert ran == [found.processed[0][0]]  # kept as it came back
        found = prepass(files[1:], loop, SmallFiles(lambda c: c.events, 10))  # 4 chunks
    assert found.processed == [] and found.scans[0].record.info.num_entries == 40


def appended_to(into: list[Chunk]):
    return lambda chunk, value: into.append(chunk)


def test_what_was_frozen_with_the_files_and_died_in_a_cycle_is_reclaimed(
    frozen_state, tmp_path, monkeypatch
):
    # Freezing a file freezes whatever else lives then: a cycle that dies later would stay
    # in the permanent generation, but for the full pass every RECLAIM_EVERY closed files.
    monkeypatch.setattr(openfiles, "RECLAIM_EVERY", 3)
    paths = [
        shutil.copy(real_file("nanoaod", "nano_dy.root"), tmp_path / f"{i}.root") for i in "ab"
    ]
    files = OpenFiles(size=1)

    class Node:
        pass

    cycle = Node()
    cycle.me = cycle
    alive = weakref.ref(cycle)
    files.get(str(paths[0]))  # frozen with the first file
    del cycle
    gc.collect()
    assert alive() is not None  # frozen: no pass sees it
    files.get(str(paths[1]))  # closes the first: 1 closed
    files.get(str(paths[0]))  # 2
    assert alive() is not None
    files.get(str(paths[1]))  # 3: the full pass
    assert alive() is None
    files.close_all()


def test_a_file_processed_by_the_prepass_is_kept_in_the_checkpoint_and_resumes(tmp_path):
    # Invariant 7: the pre-pass's chunk is kept as it comes back, like the event loop's.
    source = real_file("nanoaod", "nano_dy.root")
    copies = [str(shutil.copy(source, tmp_path / f"dy_{i}.root")) for i in range(2)]
    datasets = {"DY": {"files": copies, "kind": "mc", "xsec": 1.0}}
    config = config_of(tmp_path, datasets=datasets, code=FEW_BRANCHES)
    where = tmp_path / "checkpoint"
    first = run(config, executor="iterative", status=False, checkpoint=where)
    assert kept(where) == 2  # both files, each one chunk, processed in the pre-pass
    again = run(config, executor="iterative", status=False, checkpoint=where, resume=True)
    assert again.execution.resumed == 2
    assert_same_histograms(first.raw, again.raw)
