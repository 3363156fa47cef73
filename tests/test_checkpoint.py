"""Interrupt and resume: an Output's file format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import hist
import numpy as np
import pytest

from opencoffea import load_config
from opencoffea.chunks import FailedChunk
from opencoffea.datasets.lumis import LumiSections
from opencoffea.errors import ResultError
from opencoffea.histograms import book
from opencoffea.output import Cutflow, FileTally, Output
from opencoffea.outputfile import read, write

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))

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
    for field in ("cutflows", "files", "lumis", "notes"):
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
