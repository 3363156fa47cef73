"""Interrupt and resume: an Output's file format, the checkpoint store, ``--resume``."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import hist
import numpy as np
import psutil
import pytest
import yaml

from opencoffea import load_config, load_result, run
from opencoffea.chunks import FailedChunk
from opencoffea.cli import EXIT_INCOMPLETE, main
from opencoffea.config import Histogram
from opencoffea.datasets.lumis import LumiSections
from opencoffea.errors import CheckpointError, ResultError
from opencoffea.events import FileInfo
from opencoffea.execution.checkpoint import Checkpoint, RunKey, checkpoint_dir, kept
from opencoffea.execution.chunking import Chunk
from opencoffea.histograms import book
from opencoffea.output import Cutflow, FileTally, Mark, Marked, Output
from opencoffea.outputfile import read, write
from opencoffea.processor import load_processor

from .conftest import real_file
from .helpers import assert_same_histograms, config_of, write_analysis
from .test_run import DATASETS, DIMUON_HISTOGRAMS

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))

# A processor that can be made slow from outside (its code, and so the run key, unchanged).
SLOW_DIMUON = (
    (ROOT / "analyses" / "dimuon.py")
    .read_text()
    .replace(
        "    def analyze(self, events: NanoEvents, out: Recorder) -> None:\n",
        "    def analyze(self, events: NanoEvents, out: Recorder) -> None:\n"
        "        import os, time\n"
        "        time.sleep(float(os.environ.get('TEST_PAUSE', '0')))\n",
    )
)


def analysis(directory: Path) -> Path:
    """The YAML file of a dimuon analysis of 17,000 generated events (34 chunks of 500)."""
    assert "TEST_PAUSE" in SLOW_DIMUON
    return write_analysis(
        directory,
        datasets=DATASETS,
        histograms=DIMUON_HISTOGRAMS,
        code=SLOW_DIMUON,
        cls="DimuonSpectrum",
        execution={"chunksize": 500},
    )


# ------------------------------------------------------------------------ the file format


def filled(config_path: Path, rng: np.random.Generator) -> Output:
    """The booking of a real configuration, filled at random (flow bins, new categories),
    with every other field of an Output set."""
    config = load_config(config_path)
    histograms = book(config.histograms)
    for h in histograms.values():
        n = 300
        values = {"dataset": rng.choice(["DY", "ZZ", "Data"], n)}
        values["systematic"] = rng.choice(["nominal", "jesTotalUp", "pileupDown"], n)
        for axis in h.axes[2:]:
            if isinstance(axis, hist.axis.StrCategory):
                values[axis.name] = rng.choice([*axis, "not booked"], n)
            else:
                low, high = axis.edges[0], axis.edges[-1]
                span = high - low
                values[axis.name] = rng.uniform(low - 0.2 * span, high + 0.2 * span, n)
                if isinstance(axis, hist.axis.Integer):
                    values[axis.name] = np.floor(values[axis.name]).astype(int)
        weights = rng.normal(1.0, 0.3, n) * 10.0 ** rng.integers(-300, 300, n)
        weights[:3] = [-0.0, 5e-324, np.float64(1) / 3]  # signed zero, subnormal, inexact
        h.fill(**values, weight=weights)
    return Output(
        histograms=histograms,
        cutflows={
            "DY": Cutflow({"all events": (40, 39.123456789), "two muons": (6, 0.1 + 0.2)}),
            "DY/4mu": Cutflow({"Z1": (3, -1e-310)}),
        },
        files={
            "/data/dy.root": FileTally(40, 39.123456789, 1 / 3),
            "https://x/y.root": FileTally(),
        },
        failures=[FailedChunk("DY", "dy.root", 0, 40, "OSError: gone", "  File x, line 1\n")],
        lumis={"Data": LumiSections.from_events([315267, 1 << 31], [5, 4_000_000_000])},
        notes={"DY": frozenset({"no eCorr", "é ü ℓ"})},
        marked={
            "4l": Marked(
                12,
                [
                    Mark("ZZ", "/data/zz.root", 7, 1, 2, 3, {"Muon": (3, 0), "Electron": ()}, {}),
                    Mark(
                        "ZZ",
                        "https://x/é.root",
                        1 << 40,
                        315267,
                        4_000_000_000,
                        1 << 62,
                        {"Muon": (0, 1, 2, 3)},
                        {"m4l": 0.1 + 0.2, "n": -(1 << 53) - 1, "tiny": 5e-324, "none": None}
                        | {"channel": "4μ", "weight": float(rng.normal())},
                    ),
                ],
            ),
            "empty": Marked(),
        },
    )


def assert_identical(a: Output, b: Output) -> None:
    """Every field equal, in the same order; histograms bit for bit, flow bins included."""
    assert list(a.histograms) == list(b.histograms)
    for name, ha in a.histograms.items():
        hb = b.histograms[name]
        assert (ha.name, ha.label, ha.storage_type) == (hb.name, hb.label, hb.storage_type)
        assert ha.axes == hb.axes, name
        for xa, xb in zip(ha.axes, hb.axes, strict=True):
            assert (type(xa), xa.name, xa.label, xa.traits) == (
                type(xb),
                xb.name,
                xb.label,
                xb.traits,
            )
            assert np.asarray(xa.edges).tobytes() == np.asarray(xb.edges).tobytes()
            assert getattr(xa, "transform", None) == getattr(xb, "transform", None)
            assert list(xa) == list(xb)
        va, vb = ha.view(flow=True), hb.view(flow=True)
        assert va.value.tobytes() == vb.value.tobytes(), name
        assert va.variance.tobytes() == vb.variance.tobytes(), name
    for field in ("cutflows", "files", "lumis", "notes", "marked"):
        assert list(getattr(a, field).items()) == list(getattr(b, field).items()), field
    assert a.failures == b.failures
    assert all(b.lumis[k].keys.dtype == np.uint64 for k in b.lumis)


@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.stem)
def test_an_output_round_trips_exactly(config_path, tmp_path):
    rng = np.random.default_rng(11)
    for round_ in range(3):
        output = filled(config_path, rng)
        write(output, tmp_path / f"{round_}.zip")
        assert_identical(output, read(tmp_path / f"{round_}.zip"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.zip", "1.zip", "2.zip"]


def test_outputs_summed_after_reading_equal_outputs_summed_before(tmp_path):
    config = CONFIGS[0]
    rng = np.random.default_rng(5)
    a, b = filled(config, rng), filled(config, rng)
    write(a, tmp_path / "a.zip")
    write(b, tmp_path / "b.zip")
    assert_identical(a + b, read(tmp_path / "a.zip") + read(tmp_path / "b.zip"))


def test_a_damaged_file_is_a_clear_error_never_a_crash(tmp_path):
    output = filled(CONFIGS[0], np.random.default_rng(1))
    path = tmp_path / "chunk.zip"
    write(output, path)
    whole = path.read_bytes()
    damaged = tmp_path / "damaged.zip"
    for cut in [0, 1, 10, 100, len(whole) // 3, len(whole) // 2, len(whole) - 30, len(whole) - 1]:
        damaged.write_bytes(whole[:cut])
        with pytest.raises(ResultError, match=r"damaged\.zip: not a readable opencoffea output"):
            read(damaged)
    rng = np.random.default_rng(2)
    refused = 0
    for offset in rng.integers(0, len(whole), 60):
        flipped = bytearray(whole)
        flipped[offset] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        try:
            assert_identical(output, read(damaged))  # a byte that zip does not read
        except ResultError:
            refused += 1
    assert refused > 40
    damaged.write_text("not a zip at all")
    with pytest.raises(ResultError, match="BadZipFile"):
        read(damaged)
    with pytest.raises(ResultError, match="FileNotFoundError"):
        read(tmp_path / "missing.zip")


class Trap:
    """Unpickled, it makes a file: the proof that a pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickle_in_the_file_is_refused_not_loaded(tmp_path):
    """An array member replaced by a pickle that would write a file when loaded."""
    marker = tmp_path / "pickle-ran"
    path = tmp_path / "chunk.zip"
    write(Output(lumis={"Data": LumiSections.from_events([1], [2])}), path)
    trap = io.BytesIO()
    np.save(trap, np.array([Trap(marker)], dtype=object), allow_pickle=True)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(evil, "w") as target:
        for name in source.namelist():
            target.writestr(name, trap.getvalue() if name.endswith(".npy") else source.read(name))
    with pytest.raises(ResultError, match="pickle"):
        read(evil)
    assert not marker.exists()


def test_a_failed_write_leaves_the_file_before_it_and_no_partial_file(tmp_path):
    path = tmp_path / "chunk.zip"
    first = Output(cutflows={"DY": Cutflow({"all events": (1, 1.0)})})
    write(first, path)
    unwritable = Output(lumis={"Data": LumiSections(np.array([object()], dtype=object))})
    with pytest.raises(ValueError, match="pickle"):
        write(unwritable, path)
    assert read(path) == first
    assert [p.name for p in tmp_path.iterdir()] == ["chunk.zip"]


# ------------------------------------------------------------------------- the store


def chunks_of(info: FileInfo, edges: list[int]) -> list[Chunk]:
    return [Chunk("DY", info, a, b) for a, b in itertools.pairwise(edges)]


def output_of(chunk: Chunk, value: float) -> Output:
    """What a chunk of ``chunk.events`` events of weight ``value`` might give."""
    h = book({"x": Histogram(axes=[{"name": "x", "bins": 4, "start": 0, "stop": 4}])})
    h["x"].fill(dataset="DY", systematic="nominal", x=np.arange(chunk.events) % 5, weight=value)
    tally = FileTally(chunk.events, value * chunk.events, value**2 * chunk.events)
    return Output(h, files={chunk.info.path: tally})


def test_saved_chunks_are_taken_back_and_only_the_others_are_left(tmp_path):
    config = load_config(ROOT / "configs" / "dimuon_demo.yaml")
    key = RunKey.of(config, load_processor(config)(config))
    store = Checkpoint.open(tmp_path / "checkpoint", key, 100, resume=False)
    info = FileInfo("/data/dy.root", "Events", 400, "nanoaod", "v9", False, "0a1b-2c")
    chunks = chunks_of(info, [0, 100, 200, 300, 400])
    outputs = [output_of(chunk, 0.25 * (i + 1)) for i, chunk in enumerate(chunks)]
    store.save(chunks[0], outputs[0])
    store.save(chunks[2], outputs[2])
    failed = Output(failures=[FailedChunk("DY", info.path, 100, 200, "OSError: 503", "")])
    store.save(chunks[1], failed)  # not kept: a resumed run tries it again
    assert kept(tmp_path / "checkpoint") == 2

    again = Checkpoint.open(tmp_path / "checkpoint", key, 100, resume=True)
    remaining, output = again.completed(chunks)
    assert remaining == [chunks[1], chunks[3]]
    assert_identical(outputs[0] + outputs[2], Output() + output)

    copy = dataclasses.replace(info, path="/elsewhere/dy.root")  # the same UUID, another file
    assert again.completed(chunks_of(copy, [0, 100]))[0] == chunks_of(copy, [0, 100])
    assert again.completed(chunks_of(info, [0, 200]))[0] == chunks_of(info, [0, 200])

    fresh = Checkpoint.open(tmp_path / "checkpoint", key, 100, resume=False)
    assert "the checkpoint of an earlier run (2 chunks)" in fresh.notes[0]
    assert fresh.completed(chunks)[0] == chunks


def test_a_damaged_chunk_file_is_processed_again_with_a_note(tmp_path):
    config = load_config(ROOT / "configs" / "dimuon_demo.yaml")
    key = RunKey.of(config, load_processor(config)(config))
    store = Checkpoint.open(tmp_path, key, 100, resume=False)
    info = FileInfo("/data/dy.root", "Events", 100, "nanoaod", "v9", False, "0a1b-2c")
    (chunk,) = chunks_of(info, [0, 100])
    store.save(chunk, output_of(chunk, 1.0))
    (saved,) = tmp_path.glob("*.zip")
    saved.write_bytes(saved.read_bytes()[:50])
    again = Checkpoint.open(tmp_path, key, 100, resume=True)
    assert again.completed([chunk])[0] == [chunk]
    assert "a kept chunk was processed again" in again.notes[0]


def test_a_changed_config_or_processor_is_refused_for_resume_saying_what(tmp_path):
    path = analysis(tmp_path)
    config = load_config(path)
    store = tmp_path / "checkpoint"
    Checkpoint.open(store, RunKey.of(config, load_processor(config)(config)), 500, resume=False)

    def key_now() -> RunKey:
        changed = load_config(path)
        return RunKey.of(changed, load_processor(changed)(changed))

    # how the run goes and what is drawn change no histogram: resumed
    document = yaml.safe_load(path.read_text())
    document["execution"] = {"executor": "futures", "workers": 2, "chunksize": 100}
    document["plots"] = {"mass": {"stack": ["Drell-Yan"]}}
    path.write_text(yaml.safe_dump(document))
    assert Checkpoint.open(store, key_now(), 100, resume=True).chunksize == 500

    document["histograms"]["pt"]["axes"][0]["bins"] = 40
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(CheckpointError, match=r"the configuration \(histograms\) changed"):
        Checkpoint.open(store, key_now(), 500, resume=True)
    document["histograms"]["pt"]["axes"][0]["bins"] = 20
    path.write_text(yaml.safe_dump(document))

    code = tmp_path / "analyses" / "a.py"
    code.write_text(code.read_text() + "\n# a comment is a change of the code\n")
    with pytest.raises(CheckpointError, match=r"the processor's code \(.*analyses/a.py\)"):
        Checkpoint.open(store, key_now(), 500, resume=True)

    newer = dataclasses.replace(key_now(), version="99.0")
    with pytest.raises(CheckpointError, match=r"version \(0\.1\.0 → 99\.0\)"):
        Checkpoint.open(store, newer, 500, resume=True)
    (store / "run.json").write_text("{")
    with pytest.raises(CheckpointError, match=r"run\.json: not a checkpoint's run file"):
        Checkpoint.open(store, key_now(), 500, resume=True)
    assert Checkpoint.open(store, key_now(), 500, resume=False).key == key_now()


def test_changed_corrections_are_refused_for_resume(tmp_path):
    source = real_file("corrections", "jsonpog-integration", "POG", "LUM", "2016postVFP_UL")
    payloads = tmp_path / "payloads"
    shutil.copytree(source, payloads / "POG" / "LUM" / "2016postVFP_UL")
    pileup = payloads / "POG" / "LUM" / "2016postVFP_UL" / "puWeights.json.gz"

    def key_now() -> RunKey:
        config = config_of(
            tmp_path,
            datasets={
                "TT": {"generate": {"process": "ttbar", "events": 10}, "kind": "mc", "xsec": 1.0}
            },
            corrections={
                "payloads": str(payloads),
                "pileup": {
                    "payload": "POG/LUM/2016postVFP_UL/puWeights.json.gz",
                    "key": "Collisions16_UltraLegacy_goldenJSON",
                },
            },
            systematics=["pileup"],
        )
        return RunKey.of(config, load_processor(config)(config))

    Checkpoint.open(tmp_path / "checkpoint", key_now(), 100, resume=False)
    # the same corrections in a payload file written again (another gzip header)
    pileup.write_bytes(gzip.compress(gzip.decompress(pileup.read_bytes()), mtime=1))
    with pytest.raises(CheckpointError, match=r"the corrections \(.*puWeights.json.gz\) changed"):
        Checkpoint.open(tmp_path / "checkpoint", key_now(), 100, resume=True)


# ------------------------------------------------------------------------- resuming runs


def test_resume_processes_only_what_is_missing_and_gives_the_same_histograms(tmp_path, capsys):
    path = analysis(tmp_path)
    out = tmp_path / "out"
    uninterrupted = run(load_config(path), status=False)
    command = ["run", str(path), "--quiet", "--output", str(out)]

    assert main([*command, "--max-chunks", "2"]) == EXIT_INCOMPLETE
    assert f"{path} --output {out} --resume" in capsys.readouterr().err
    assert kept(checkpoint_dir(out)) == 4  # two chunks of each dataset

    # the chunk size of the checkpoint is kept, so that each kept chunk is one of this run
    assert main([*command, "--resume", "--chunksize", "2000"]) == 0
    err = capsys.readouterr().err
    assert "resumed: 4 of 34 chunks from the checkpoint" in err
    assert "the checkpoint's chunks of 500 entries (not 2,000)" in err
    resumed = load_result(out)
    assert resumed.execution.resumed == 4 and resumed.execution.chunks == 34
    assert resumed.complete and resumed.events_processed == 17000
    assert_same_histograms(uninterrupted.raw, resumed.raw)
    assert_same_histograms(uninterrupted.histograms, resumed.histograms)
    assert resumed.cutflows == uninterrupted.cutflows
    assert not checkpoint_dir(out).parent.exists()  # a whole result: the checkpoint is gone


def test_a_changed_analysis_is_refused_by_resume_with_the_reason(tmp_path, capsys):
    path = analysis(tmp_path)
    command = ["run", str(path), "--quiet", "--output", str(tmp_path / "out")]
    assert main([*command, "--max-chunks", "1"]) == EXIT_INCOMPLETE
    path.write_text(path.read_text().replace("bins: 20", "bins: 25"))
    capsys.readouterr()
    assert main([*command, "--resume"]) == 1
    err = capsys.readouterr().err
    assert "the configuration (histograms) changed" in err and "without --resume" in err
    assert "Traceback" not in err
    assert main(command) == 0  # starting again is always possible


def test_resume_without_a_checkpoint_processes_everything(tmp_path):
    path = analysis(tmp_path)
    result = run(load_config(path), checkpoint=tmp_path / "cp", resume=True, status=False)
    assert result.complete and result.execution.resumed == 0
    assert any("nothing to resume" in warning for warning in result.warnings)


def _start(path: Path, out: Path, *extra: str) -> subprocess.Popen:
    """``opencoffea run`` of this checkout in a process of its own, slowed to 0.4 s a chunk."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TEST_PAUSE": "0.4"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opencoffea.cli",
            "run",
            str(path),
            "--output",
            str(out),
            "--quiet",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _when_kept(process: subprocess.Popen, checkpoint: Path, chunks: int) -> None:
    deadline = time.monotonic() + 120
    while kept(checkpoint) < chunks:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no chunk was kept in two minutes"
        time.sleep(0.05)


def _stop(process: subprocess.Popen, children: list[psutil.Process]) -> None:
    """The process and its children (listed before it was signalled) gone."""
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_or_interrupted_run_resumes_to_the_same_histograms(tmp_path, capsys, how):
    path = analysis(tmp_path)
    out = tmp_path / "out"
    uninterrupted = run(load_config(path), status=False)  # and the samples generated
    process = _start(path, out)
    children: list[psutil.Process] = []
    try:
        _when_kept(process, checkpoint_dir(out), 3)
        children = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(how)
        _, err = process.communicate(timeout=30)
        if how == signal.SIGINT:
            assert process.returncode == 130
            assert f"--output {out} --resume" in err and "Traceback" not in err
        else:
            assert process.returncode == -signal.SIGKILL
    finally:
        _stop(process, children)
    done = kept(checkpoint_dir(out))
    assert 3 <= done < 34
    assert not out.exists()

    assert main(["run", str(path), "--quiet", "--output", str(out), "--resume"]) == 0
    assert f"resumed: {done} of 34 chunks" in capsys.readouterr().err
    resumed = load_result(out)
    assert_same_histograms(uninterrupted.raw, resumed.raw)
    assert resumed.cutflows == uninterrupted.cutflows
    assert not checkpoint_dir(out).exists()
