"""Pre-made histograms as inputs: the 2011–2012 H→4ℓ figure from its histogram files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import uproot
import yaml

from opencoffea import load_config, load_result, run, write_result
from opencoffea.config import parse_config
from opencoffea.errors import ConfigError, InputFileError

from .conftest import real_file
from .test_run import assert_same_result

ROOT = Path(__file__).resolve().parents[1]
RUN1 = ROOT / "configs" / "higgs4l_run1_histograms.yaml"


def local_config(tmp_path: Path):
    """The run-1 configuration with the record's files taken from the test data instead."""
    reference = real_file("reference", "higgs4l_run1", "HZZ12.root").parent
    text = re.sub(
        r"record: 5501, pick: \[([\w.]+)\]",
        lambda m: f"files: [{reference / m.group(1)}]",
        RUN1.read_text(),
    )
    path = tmp_path / "run1.yaml"
    path.write_text(text)
    return load_config(path)


def expected_yields(config) -> dict[str, dict[str, float]]:
    """Independently: scale each file's histogram by L · σ · sf / N and add up per group."""
    document = yaml.safe_load(config.source.read_text())
    yields: dict[str, dict[str, float]] = {}
    for spec in document["datasets"].values():
        (path,) = spec["files"]
        scale = 1.0
        if spec["kind"] == "mc":
            lumi = spec.get("luminosity", document["luminosity"])
            scale = lumi * spec["xsec"] * spec.get("scale", 1.0) / spec["sumw"]
        with uproot.open(path) as f:
            for channel, inner in spec["read"]["m4l"]["channel"].items():
                total = f[inner].values().sum() * scale  # in range, like the figure
                group = yields.setdefault(spec["group"], {})
                group[channel] = group.get(channel, 0.0) + total
    return yields


def test_run1_figure_yields_match_an_independent_computation(tmp_path):
    config = local_config(tmp_path)
    result = run(config, status=False)
    directory = write_result(result, tmp_path / "out")
    loaded = load_result(directory)
    assert_same_result(result, loaded)
    m4l = loaded.histograms["m4l"]
    expected = expected_yields(config)
    for group, channels in expected.items():
        datasets = [d for d in config.datasets if config.group_of(d) == group]
        for channel, value in channels.items():
            ours = sum(
                m4l[{"dataset": d, "systematic": "nominal", "channel": channel}].values().sum()
                for d in datasets
            )
            assert ours == pytest.approx(value, rel=1e-12), (group, channel)
    # the published figure's content: data events and the signal in range, all channels
    data = sum(expected["Data"].values())
    signal = sum(expected["m_H = 125 GeV"].values())
    assert data == int(data) and 50 < data < 150
    assert 5 < signal < 20

    manifest = json.loads((directory / "manifest.json").read_text())
    zz = manifest["inputs"]["ZZ4mu_2011"]
    assert zz["luminosity_pb"] == 2330.0 and zz["sumw"] == 1447136
    assert zz["normalisation"] == pytest.approx(2330.0 * 0.067 * 1.386 / 1447136)
    (read,) = zz["premade_histograms"]
    assert read["path"] == "demo/mass4mu_8TeV_low" and read["categories"] == [["channel", "4mu"]]


def test_binning_must_match_the_file(tmp_path):
    config = local_config(tmp_path)
    text = config.source.read_text().replace(
        "bins: 37, start: 70, stop: 181", "bins: 36, start: 70, stop: 180"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(
        InputFileError, match="has 37 bins from 70 to 181; histogram 'm4l' is booked with 36"
    ):
        run(load_config(bad), status=False)


def test_a_missing_histogram_path_lists_what_the_file_has(tmp_path):
    config = local_config(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        config.source.read_text().replace("demo/mass4e_8TeV_low}}}", "demo/mass4e}}}", 1)
    )
    with pytest.raises(InputFileError, match=r"has no histogram 'demo/mass4e'.*mass4e_8TeV_low"):
        run(load_config(bad), status=False)


def test_read_mistakes_are_config_errors():
    base = """
name: x
luminosity: 1
histograms:
  m4l: {axes: [{name: m4l, bins: 2, start: 0, stop: 1}, {name: channel, categories: [4mu]}]}
datasets:
  A: {files: [a.root], kind: mc, xsec: 1, READ}
"""
    with pytest.raises(ConfigError, match="give 'sumw'"):
        parse_config(base.replace("READ", "read: {m4l: {channel: {4mu: p}}}"))
    with pytest.raises(ConfigError, match=r"datasets.A.read.m4l.channel.4e: is not a category"):
        parse_config(base.replace("READ", "sumw: 1, read: {m4l: {channel: {4e: p}}}"))
    with pytest.raises(ConfigError, match=r"datasets.A.read.m4: is not a booked histogram"):
        parse_config(base.replace("READ", "sumw: 1, read: {m4: p}"))
    # events without a processor load (a notebook gives the class to run(), test_config.py)
    assert parse_config(base.replace(", READ", "")).processor is None
    assert parse_config(base.replace("READ", "sumw: 1, read: {m4l: {channel: {4mu: p}}}"))
