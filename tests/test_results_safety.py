"""Results that cannot be half-written, and physics mistakes that cannot pass silently.

A result directory is checked before any chunk runs, written by one run at a time, moved
into place whole, and refused when read if its manifest and histograms are of different
runs. A dataset whose files are not of its declared kind, or a file in two datasets, is a
configuration error naming the YAML file and line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import uproot

from opencoffea import load_config, load_result, run, write_result
from opencoffea.cli import main
from opencoffea.errors import ConfigError, ResultError
from opencoffea.results import RunLock, publish, work_dir

from .conftest import real_file
from .helpers import write_analysis

ROOT = Path(__file__).resolve().parents[1]

# Leaves a file for each chunk it starts, so a test sees whether any chunk ran; while a
# file "hold" is there, it waits (at most a minute), so a run can be kept running.
MARKING = """
import os, tempfile, time
from pathlib import Path

import awkward as ak
from opencoffea import Processor

class Marking(Processor):
    def analyze(self, events, out):
        markers = Path(os.environ["SAFETY_MARKERS"])
        name = Path(events.metadata["filename"]).name
        tempfile.mkstemp(dir=markers, prefix=f"chunk_{name}_")
        deadline = time.monotonic() + 60
        while (markers / "hold").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        out.cut("one muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt)
"""

DATA = {"D": {"generate": {"process": "dimuon_data", "events": 3000, "seed": 7}, "kind": "data"}}


@pytest.fixture
def markers(tmp_path, monkeypatch) -> Path:
    """The directory the Marking processor leaves its files in (also for subprocesses)."""
    path = tmp_path / "markers"
    path.mkdir()
    monkeypatch.setenv("SAFETY_MARKERS", str(path))
    return path


def chunks_started(markers: Path, of: Path | None = None) -> int:
    """Chunks the Marking processor has started (of the file ``of``, if given)."""
    return len(list(markers.glob(f"chunk_{of.name}_*" if of else "chunk_*")))


def marking_analysis(directory: Path, datasets=None) -> Path:
    return write_analysis(directory, datasets=datasets or DATA, code=MARKING, cls="Marking")


def run_cli(config: Path, output: Path) -> int:
    return main(["run", str(config), "--quiet", "--chunksize", "1000", "--output", str(output)])


def contents(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------ the output, before any chunk


def test_an_output_that_is_a_file_is_refused_before_any_chunk(tmp_path, markers, capsys):
    config = marking_analysis(tmp_path)
    output = tmp_path / "out"
    output.write_text("my notes")
    assert run_cli(config, output) == 1
    err = capsys.readouterr().err
    assert f"{output} is a file: the result is a directory" in err and "Traceback" not in err
    assert chunks_started(markers) == 0
    assert output.read_text() == "my notes" and not work_dir(output).exists()


def test_a_directory_holding_more_than_a_result_is_not_replaced(tmp_path, markers, capsys):
    config = marking_analysis(tmp_path)
    assert run_cli(config, tmp_path) == 1  # the directory of the YAML file itself
    assert "holds more than a result (a.yaml, analyses, markers)" in capsys.readouterr().err
    assert chunks_started(markers) == 0 and (tmp_path / "a.yaml").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: nothing is unwritable")
def test_an_output_that_is_not_writable_is_refused_before_any_chunk(tmp_path, markers, capsys):
    config = marking_analysis(tmp_path)
    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert run_cli(config, parent / "results" / "out") == 1
    finally:
        parent.chmod(0o755)
    assert f"{parent} is not writable" in capsys.readouterr().err
    assert chunks_started(markers) == 0


def test_write_result_refuses_before_writing(tmp_path, markers):
    result = run(load_config(marking_analysis(tmp_path)), status=False)
    output = tmp_path / "out"
    output.write_text("my notes")
    with pytest.raises(ResultError, match="is a file"):
        write_result(result, output)
    assert output.read_text() == "my notes" and result.directory is None


# ------------------------------------------------------------ one run at a time


def test_a_lock_held_on_another_host_is_respected(tmp_path, markers, capsys):
    config = marking_analysis(tmp_path)
    output = tmp_path / "out"
    work_dir(output).mkdir()
    holder = {"pid": 1, "host": "elsewhere.example", "started": "2026-11-29T10:00:00+00:00"}
    (work_dir(output) / "lock").write_text(json.dumps(holder))
    assert run_cli(config, output) == 1
    err = capsys.readouterr().err
    assert "being written by another run (pid 1 on elsewhere.example, started 2026-11-29" in err
    assert chunks_started(markers) == 0 and not output.exists()


@pytest.mark.slow
def test_two_runs_into_one_directory_one_refuses_the_other_is_whole(tmp_path, markers):
    config = marking_analysis(tmp_path)
    output = tmp_path / "out"
    (markers / "hold").touch()  # the first run waits in its first chunk
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "opencoffea.cli", "run", str(config), "--quiet"]
    command += ["--chunksize", "1000", "--output", str(output)]
    first = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not chunks_started(markers):
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, "the first run processed no chunk"
            time.sleep(0.1)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert f"being written by another run (pid {first.pid} on {socket.gethostname()}" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
        (markers / "hold").unlink()
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    result = load_result(output)
    assert result.complete and result.events_processed == 3000
    assert chunks_started(markers) == 3  # the second run processed nothing
    assert not work_dir(output).exists()


# ------------------------------------------------------------ whole or absent


def test_a_failed_write_leaves_the_older_result_untouched_or_nothing(tmp_path, markers):
    result = run(load_config(marking_analysis(tmp_path)), status=False)
    output = write_result(result, tmp_path / "out")
    before = contents(output)

    def half(directory: Path) -> None:
        (directory / "histograms.root").write_bytes(b"half a file")
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        publish(output, half)
    assert contents(output) == before
    assert load_result(output).manifest == result.manifest
    with pytest.raises(OSError, match="No space left"):
        publish(tmp_path / "new", half)
    assert not (tmp_path / "new").exists()
    assert not work_dir(output).exists() and not work_dir(tmp_path / "new").exists()


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from opencoffea.results import publish

def write(directory):
    (directory / "histograms.root").write_bytes(b"half a file")
    os.kill(os.getpid(), signal.SIGKILL)

publish(Path(sys.argv[1]), write)
"""


def test_a_killed_writer_leaves_the_older_result_and_its_lock_is_taken_over(
    tmp_path, markers, capsys
):
    config = marking_analysis(tmp_path)
    output = write_result(run(load_config(config), status=False), tmp_path / "out")
    before = contents(output)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(output)], env=env, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL
    assert contents(output) == before  # the older result, whole
    lock = json.loads((work_dir(output) / "lock").read_text())
    assert lock["pid"] != os.getpid() and lock["host"] == socket.gethostname()

    assert run_cli(config, output) == 0  # the dead writer's lock is taken over
    err = capsys.readouterr().err
    assert f"took over the lock of a run that died (pid {lock['pid']} on" in err
    assert load_result(output).manifest["run_id"] != json.loads(before["manifest.json"])["run_id"]
    assert not work_dir(output).exists()  # its half-written files went with it


def test_a_publish_killed_between_its_renames_is_repaired_by_the_next(tmp_path, markers):
    result = run(load_config(marking_analysis(tmp_path)), status=False)
    output = write_result(result, tmp_path / "out")
    before = contents(output)
    work_dir(output).mkdir()
    os.rename(output, work_dir(output) / "previous")  # the older result aside, no new one yet

    def fails(directory: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        publish(output, fails)
    assert contents(output) == before and not work_dir(output).exists()


def test_a_lock_of_this_process_is_taken_again_and_the_checkpoint_stays(tmp_path):
    output = tmp_path / "out"
    with RunLock(output) as lock:
        (lock.work / "checkpoint").mkdir()  # where the execution keeps finished chunks
        assert publish(output, lambda d: (d / "manifest.json").write_text("{}")) == output
        assert (lock.work / "lock").exists()  # still this run's, until the with block ends
    assert sorted(p.name for p in work_dir(output).iterdir()) == ["checkpoint"]


# ------------------------------------------------------------ a manifest and its histograms


def test_manifest_and_histograms_of_different_runs_are_refused(tmp_path, markers, capsys):
    config = load_config(marking_analysis(tmp_path))
    first = write_result(run(config, status=False), tmp_path / "first")
    second = write_result(run(config, status=False), tmp_path / "second")
    run_id = json.loads((first / "manifest.json").read_text())["run_id"]
    with uproot.open(first / "histograms.root") as file:
        assert str(file["run_id"]) == run_id  # the same run id in both files
    shutil.copy(second / "histograms.root", first / "histograms.root")
    with pytest.raises(ResultError, match=r"histograms\.root and manifest\.json do not belong"):
        load_result(first)
    for command in ("plot", "yields"):
        assert main([command, str(first)]) == 1
        err = capsys.readouterr().err
        assert "do not belong together" in err and run_id in err and "Traceback" not in err


# ------------------------------------------------------------ physics mistakes


def kind_line(config: Path, dataset: str) -> int:
    """The line of ``kind:`` of a dataset in a YAML file written by ``write_analysis``."""
    lines = config.read_text().splitlines()
    start = lines.index(f"  {dataset}:")
    return next(n for n, line in enumerate(lines[start:], start + 1) if "kind:" in line)


@pytest.mark.parametrize(
    ("file", "kind", "message"),
    [
        ("nano_dy.root", "data", "is declared data, but {path} is simulation"),
        ("nano_dimuon.root", "mc", "is declared simulation, but {path} is collision data"),
    ],
)
def test_files_not_of_their_datasets_kind_stop_the_run_before_any_chunk_of_them(
    tmp_path, markers, file, kind, message
):
    path = real_file("nanoaod", file)
    spec = {"files": [str(path)], "kind": kind, **({"xsec": 1.0} if kind == "mc" else {})}
    config = marking_analysis(tmp_path, {"Good": DATA["D"], "Wrong": spec})
    with pytest.raises(ConfigError) as error:
        run(load_config(config), status=False)
    line = kind_line(config, "Wrong")
    assert str(error.value) == (
        f"{config}, line {line}, datasets.Wrong.kind: dataset 'Wrong' "
        + message.format(path=path)
        + f" (it has {'' if kind == 'data' else 'no '}generator weights); correct its kind: "
        "or its files"
    )
    # (the pre-pass runs each file it scans that is one chunk, if the file is of its kind)
    assert chunks_started(markers, of=path) == 0


def test_a_file_in_two_datasets_is_a_configuration_error(tmp_path, markers):
    dy = real_file("nanoaod", "nano_dy.root")
    (tmp_path / "link.root").symlink_to(dy)  # the same file by another name: found the same
    config = marking_analysis(
        tmp_path,
        {
            "DY": {"files": [str(dy)], "kind": "mc", "xsec": 1.0},
            "Again": {"files": ["link.root"], "kind": "mc", "xsec": 2.0},
        },
    )
    with pytest.raises(ConfigError) as error:
        run(load_config(config), status=False)
    line = config.read_text().splitlines().index("  Again:") + 1
    assert str(error.value) == (
        f"{config}, line {line}, datasets.Again: {dy} is in dataset 'DY' "
        "too; its events would be counted twice (a file belongs to one dataset)"
    )
    assert chunks_started(markers) == 0


def test_a_portal_file_in_two_datasets_is_a_configuration_error(portal_server, tmp_path):
    from opencoffea.samples import generate

    mc = generate("dy_mumu", tmp_path / "dy.root", 500, seed=30)
    portal_server.serve_record(990011, [mc], simulated=True, cross_section=1.0)
    config = write_analysis(
        tmp_path,
        datasets={
            "DY": {"record": 990011, "kind": "mc", "xsec": 1.0},
            "DY_again": {"record": 990011, "kind": "mc", "xsec": 1.0, "pick": ["dy*"]},
        },
    )
    with pytest.raises(ConfigError, match=r"line \d+, datasets\.DY_again: http://127\.0\.0\.1:"):
        run(load_config(config), server=portal_server.url, status=False)


def test_the_shipped_configurations_load():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        assert load_config(path).name == path.stem
