"""Runs that survive: dead workers, poison chunks, a server's 500, a user's bug, Ctrl-C and a
scheduler without workers (issue 11; invariant 7, "a crash loses at most the chunks in flight").

Everything is real: worker processes killed by PID with SIGKILL, an HTTP server on 127.0.0.1
that fails once in the middle of a file, SIGINT sent to the process group of an ``opencoffea
run`` (as a terminal's Ctrl-C is), a dask scheduler started in a process of its own. Every
process a test starts is stopped, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import uproot

from opencoffea import load_result, run
from opencoffea.cli import EXIT_FAILED_CHUNKS, main

from .helpers import MUON_PT, assert_same_histograms, config_of, write_analysis

SRC = Path(__file__).resolve().parents[1] / "src"
HOST = "127.0.0.1"
DATA = {"D": {"generate": {"process": "dimuon_data", "events": 6000, "seed": 7}, "kind": "data"}}
CHUNKS = ["--chunksize", "1000"]  # six chunks

# A processor whose chunk at entry 2000 stops, the first time it runs, until it is killed: it
# writes its process's id where the test waits for it (os.link: only one process can).
VICTIM = """
import os, time
from pathlib import Path
import awkward as ak
from opencoffea import Processor

FLAGS = Path({flags!r})

class Victim(Processor):
    def analyze(self, events, out):
        time.sleep(0.2)  # chunks take a moment: others are in flight when one dies
        if events.metadata["entrystart"] == 2000:
            mine = FLAGS / f"pid-{{os.getpid()}}"
            mine.write_text(str(os.getpid()))
            try:
                os.link(mine, FLAGS / "victim")
            except FileExistsError:
                pass  # its second run: go on
            else:
                time.sleep(120)  # until the test kills this process
        out.cut("one muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt)
"""

# A chunk that kills every process it runs in.
POISON = """
import os, signal
import awkward as ak
from opencoffea import Processor

class Poison(Processor):
    def analyze(self, events, out):
        if events.metadata["entrystart"] == 3000:
            os.kill(os.getpid(), signal.SIGKILL)
        out.cut("one muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt)
"""

# A bug: most events have fewer than three muons.
BUGGY = """
from opencoffea import Processor

class Buggy(Processor):
    def analyze(self, events, out):
        third = events.Muon.pt[:, 2]
        out.fill("pt", pt=third)
"""

# Slow chunks, the first of which says it has started.
SLOW = """
import time
from pathlib import Path
import awkward as ak
from opencoffea import Processor

class Slow(Processor):
    def analyze(self, events, out):
        Path({flags!r}, "started").touch()
        time.sleep(1.0)
        out.fill("pt", pt=out.select(events.Muon).pt)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The histograms of an undisturbed run of the six chunks."""
    config = config_of(tmp_path_factory.mktemp("reference"), datasets=DATA, code=MUON_PT)
    return run(config, executor="iterative", chunksize=1000, status=False).raw


def cli(*args: str, **popen) -> subprocess.Popen:
    """``opencoffea run ...`` in a process of its own (the caller waits for it)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    command = [sys.executable, "-m", "opencoffea.cli", "run", *args]
    return subprocess.Popen(command, env=env, text=True, **popen)


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Return once ``condition()`` holds; the test fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def wait_for(path: Path, seconds: float) -> str:
    """The content of ``path`` once it has some (the test fails after ``seconds``)."""
    wait_until(lambda: path.exists() and path.read_text(), seconds, str(path))
    return path.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["futures", "dask"])
def test_a_killed_worker_costs_nothing_but_its_chunks(tmp_path, reference, executor):
    flags = tmp_path / "flags"
    flags.mkdir()
    path = write_analysis(
        tmp_path, datasets=DATA, code=VICTIM.format(flags=str(flags)), cls="Victim"
    )
    out = tmp_path / "out"
    args = [str(path), "--executor", executor, "--workers", "2", *CHUNKS, "--quiet"]
    process = cli(*args, "--output", str(out), stderr=subprocess.PIPE, start_new_session=True)
    try:
        victim = int(wait_for(flags / "victim", 120))
        os.kill(victim, signal.SIGKILL)
        _, err = process.communicate(timeout=180)
    finally:
        with contextlib.suppress(ProcessLookupError):  # what is left, should a check fail
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, err[-3000:]
    result = load_result(out)
    assert result.complete and result.events_processed == 6000
    assert_same_histograms(reference, result.raw)
    retried = {(r.entry_start, r.entry_stop): r for r in result.execution.retried}
    assert retried[(2000, 3000)].retries >= 1
    assert "died" in retried[(2000, 3000)].reason
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(
        (r["entry_start"], r["entry_stop"]) == (2000, 3000) and "died" in r["reason"]
        for r in manifest["execution"]["retried"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["futures", "dask"])
def test_a_poison_chunk_is_given_up_and_the_others_finish(tmp_path, executor, capsys):
    path = write_analysis(
        tmp_path, datasets=DATA, code=POISON, cls="Poison", execution={"retries": 1}
    )
    out = tmp_path / "out"
    args = ["run", str(path), "--executor", executor, "--workers", "2", *CHUNKS, "--quiet"]
    assert main([*args, "--output", str(out)]) == EXIT_FAILED_CHUNKS
    assert "1 chunk(s) failed, 1,000 events not processed" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["events"] == {"input": 6000, "processed": 5000, "failed": 1000, "unread": 0}
    (failure,) = manifest["failures"]
    assert (failure["entry_start"], failure["entry_stop"]) == (3000, 4000)
    assert failure["file"].endswith(".root")
    assert "worker process died each time it ran this chunk (2× alone" in failure["error"]


class RangeServer(http.server.ThreadingHTTPServer):
    """Serves one file with byte ranges; the first read of byte ``fail_at`` gets a 500."""

    def __init__(self, path: Path, fail_at: int) -> None:
        super().__init__(("127.0.0.1", 0), _RangeHandler)
        self.content = path.read_bytes()
        self.fail_at: int | None = fail_at
        self.url = f"http://127.0.0.1:{self.server_port}/{path.name}"


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    server: RangeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        content = self.server.content
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        start, stop = (int(asked[1]), int(asked[2] or len(content) - 1)) if asked else (0, None)
        stop = len(content) - 1 if stop is None else stop
        failing = self.server.fail_at
        if self.command == "GET" and failing is not None and start <= failing <= stop:
            self.server.fail_at = None  # once
            self.send_response(500)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        self.send_response(206 if asked else 200)
        self.send_header("Content-Length", str(stop - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{stop}/{len(content)}")
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(content[start : stop + 1])


@contextlib.contextmanager
def serving(path: Path, fail_at: int) -> Iterator[RangeServer]:
    server = RangeServer(path, fail_at)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_a_server_error_mid_file_is_retried_and_nothing_is_lost(tmp_path, nanoaod):
    local = nanoaod("nano_dy.root")
    with uproot.open(local) as file:  # the first basket of Muon_pt: read by chunks only
        basket = int(file["Events"]["Muon_pt"].member("fBasketSeek")[0])
    histograms = {"pt": {"axes": [{"name": "pt", "bins": 20, "start": 0, "stop": 200}]}}

    def dy(where: str) -> dict:
        return {"DY": {"files": [where], "kind": "mc", "xsec": 1.0}}

    expected = run(
        config_of(tmp_path / "local", datasets=dy(str(local)), histograms=histograms),
        chunksize=10,
        status=False,
    )
    with serving(local, fail_at=basket) as server:
        config = config_of(tmp_path / "http", datasets=dy(server.url), histograms=histograms)
        result = run(config, chunksize=10, status=False)
        assert server.fail_at is None  # it did fail once
    assert result.complete and result.events_processed == 40 and not result.failures
    assert_same_histograms(expected.raw, result.raw)
    (retried,) = result.execution.retried
    assert retried.file == server.url and retried.retries == 1
    assert "ClientResponseError" in retried.reason


def test_a_bug_in_the_first_chunks_stops_the_run_at_its_line(tmp_path, capsys):
    path = write_analysis(tmp_path, datasets=DATA, code=BUGGY, cls="Buggy")
    line = 1 + BUGGY.splitlines().index("        third = events.Muon.pt[:, 2]")
    out = str(tmp_path / "out")
    assert main(["run", str(path), *CHUNKS, "--quiet", "--output", out]) == 1
    err = capsys.readouterr().err
    analysis = tmp_path / "analyses" / "a.py"
    assert f"{analysis}, line {line}, in analyze" in " ".join(err.split())
    assert "third = events.Muon.pt[:, 2]" in err  # the line itself, in a short traceback
    assert "the first 3 chunks failed at the same place" in err and "--keep-going" in err
    assert not (tmp_path / "out").exists()

    assert main(["run", str(path), *CHUNKS, "--quiet", "--output", out, "--keep-going"]) == 3
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["events"] == {"input": 6000, "processed": 0, "failed": 6000, "unread": 0}


@pytest.mark.slow
def test_a_bug_is_named_by_its_file_in_workers_too(tmp_path, capsys):
    """A processor sent to workers by value has its code named <dynamic-code> there."""
    path = write_analysis(tmp_path, datasets=DATA, code=BUGGY, cls="Buggy")
    args = ["run", str(path), "--executor", "futures", "--workers", "2", *CHUNKS, "--quiet"]
    assert main([*args, "--output", str(tmp_path / "out")]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{tmp_path / 'analyses' / 'a.py'}, line " in err
    assert "<dynamic-code>" not in err


def process_group(pgid: int) -> list[psutil.Process]:
    """The live processes of a process group."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["iterative", "futures", "dask"])
def test_ctrl_c_stops_the_run_and_its_workers_within_seconds(tmp_path, executor):
    flags = tmp_path / "flags"
    flags.mkdir()
    path = write_analysis(tmp_path, datasets=DATA, code=SLOW.format(flags=str(flags)), cls="Slow")
    args = [str(path), "--executor", executor, *CHUNKS, "--output", str(tmp_path / "out")]
    if executor != "iterative":
        args += ["--workers", "2"]
    process = cli(*args, stderr=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    try:
        wait_until(lambda: (flags / "started").exists(), 120, "a chunk to start")
        workers = process_group(process.pid)
        assert len(workers) >= (1 if executor == "iterative" else 3)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to the whole group
        sent = time.monotonic()
        _, err = process.communicate(timeout=30)
        stopped = time.monotonic() - sent
        assert process.returncode == 130, err[-3000:]
        assert stopped < 10
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
        assert err.strip().splitlines()[-1].startswith("interrupted: ")
        wait_until(lambda: not process_group(process.pid), 10, "the workers to end")
    finally:
        with contextlib.suppress(ProcessLookupError):  # what is left, should a check fail
            os.killpg(process.pid, signal.SIGKILL)
    assert not (tmp_path / "out").exists()


@contextlib.contextmanager
def scheduler(directory: Path) -> Iterator[str]:
    """A dask scheduler on 127.0.0.1, in a process of its own, without workers."""
    address_file = directory / "scheduler.json"
    anywhere = ["--port", "0", "--no-dashboard", "--scheduler-file", str(address_file)]
    process = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", HOST, *anywhere],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield json.loads(wait_for(address_file, 60))["address"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_scheduler_without_workers_stops_the_run_after_the_timeout(tmp_path, capsys):
    path = write_analysis(tmp_path, datasets=DATA, execution={"worker_timeout": 2})
    with scheduler(tmp_path) as address:
        started = time.monotonic()
        output = str(tmp_path / "o")
        assert main(["run", str(path), "--scheduler", address, "--output", output]) == 1
        took = time.monotonic() - started
    err = " ".join(capsys.readouterr().err.split())
    assert f"waiting for workers: the dask scheduler at {address} has none" in err
    assert f"error: no workers at the dask scheduler at {address} for 2 s" in err
    assert 2 < took < 30


@pytest.mark.slow
def test_workers_that_join_later_are_used(tmp_path):
    path = write_analysis(tmp_path, datasets=DATA, execution={"worker_timeout": 120})
    log = tmp_path / "stderr.txt"
    with scheduler(tmp_path) as address, log.open("w") as stderr:
        process = cli(
            str(path),
            "--scheduler",
            address,
            *CHUNKS,
            "--output",
            str(tmp_path / "o"),
            stderr=stderr,
        )
        worker = None
        try:
            wait_until(lambda: "waiting for workers" in log.read_text(), 120, "the run to wait")
            one_thread = ["--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--host", HOST]
            worker = subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, *one_thread],
                env={**os.environ, "PYTHONPATH": str(SRC)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            assert process.wait(timeout=180) == 0, log.read_text()[-3000:]
        finally:
            process.kill()
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
    assert load_result(tmp_path / "o").events_processed == 6000
