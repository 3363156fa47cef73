"""The Combine datacard read back: its counts, every column, and each histogram it names in
shapes.root with the integral its rate implies; on a hand-made result with a shape and a
rate-only variation, and on the three channels of the H → 4ℓ demo."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import uproot

from opencoffea.cli import main
from opencoffea.config import Inference, parse_config
from opencoffea.errors import ConfigError, InferenceError
from opencoffea.inference import statistical_model, write_datacard

from .test_band import VALUES, hand_made_result


def with_inference(result, **spec):
    spec = {"histogram": "x", "signal": ["H"], "data": "Data", **spec}
    config = result.config.model_copy(update={"inference": Inference(**spec)})
    return result, config


def read_card(path):
    """The card's lines as lists of words, by their first word (comments and rules left out)."""
    rows = [line.split() for line in path.read_text().splitlines()]
    return [r for r in rows if r and not r[0].startswith(("#", "-"))]


def check_card(card):
    """Every count and column of a card, and its histograms in shapes.root."""
    rows = read_card(card)
    first = {r[0]: r[1:] for r in reversed(rows)}  # the first line of each keyword
    imax, jmax, kmax = (int(first[k][0]) for k in ("imax", "jmax", "kmax"))
    bins_lines = [r[1:] for r in rows if r[0] == "bin"]
    channels, columns = bins_lines[0], bins_lines[1]
    assert len(channels) == imax and len(first["observation"]) == imax
    process_lines = [r[1:] for r in rows if r[0] == "process"]
    names, ids = process_lines
    assert len(set(names)) == jmax + 1
    assert len(columns) == len(names) == len(ids) == len(first["rate"]) == imax * (jmax + 1)
    nuisances = [r for r in rows if len(r) > 1 and r[1] in ("lnN", "shape")]
    assert len(nuisances) == kmax
    assert all(len(r) == 2 + len(columns) for r in nuisances)
    assert first["shapes"] == [
        "*",
        "*",
        "shapes.root",
        "$CHANNEL/$PROCESS",
        "$CHANNEL/$PROCESS_$SYSTEMATIC",
    ]
    with uproot.open(card.parent / "shapes.root") as shapes:
        for channel, observed in zip(channels, first["observation"], strict=True):
            assert shapes[f"{channel}/data_obs"].values().sum() == pytest.approx(float(observed))
        for i, (channel, process) in enumerate(zip(columns, names, strict=True)):
            h = shapes[f"{channel}/{process}"]
            assert h.values().sum() == pytest.approx(float(first["rate"][i]), rel=1e-9)
            for name, kind, *effects in nuisances:
                if kind == "shape" and effects[i] != "-":
                    for suffix in ("Up", "Down"):
                        assert f"{channel}/{process}_{name}{suffix}" in shapes
    return rows, channels, names, ids, nuisances


def test_a_card_with_shape_rate_and_normalisation_nuisances(tmp_path):
    result, config = with_inference(hand_made_result(), rate=["pileup"])
    card = write_datacard(statistical_model(result, config), tmp_path)
    rows, channels, names, ids, nuisances = check_card(card)
    assert channels == ["x"] and names == ["H", "ZZ", "tt"]
    assert [int(i) for i in ids] == [0, 1, 2]  # the signal's id ≤ 0
    effects = {r[0]: (r[1], r[2:]) for r in nuisances}
    assert effects["lumi"] == ("lnN", ["1.05", "1.05", "1.05"])
    assert effects["xsec_tt"] == ("lnN", ["-", "-", "1.2"])
    assert effects["jes"] == ("shape", ["-", "1", "1"])  # the signal has no jes
    # pileup is rate-only: κ down/κ up from the yields of the shifts
    zz_nominal = sum(np.sum(VALUES[d]["nominal"]) for d in ("ZZa", "ZZb"))
    zz_up = np.sum(VALUES["ZZa"]["pileupUp"]) + np.sum(VALUES["ZZb"]["nominal"])
    zz_down = np.sum(VALUES["ZZa"]["pileupDown"]) + np.sum(VALUES["ZZb"]["nominal"])
    down, up = (float(x) for x in effects["pileup"][1][1].split("/"))
    assert (down, up) == pytest.approx((zz_down / zz_nominal, zz_up / zz_nominal))
    assert rows[-1] == ["*", "autoMCStats", "10"]
    with uproot.open(tmp_path / "shapes.root") as shapes:
        np.testing.assert_allclose(shapes["x/tt_jesUp"].values(), VALUES["TT"]["jesUp"])
        np.testing.assert_allclose(shapes["x/data_obs"].values(), VALUES["Data"]["nominal"])


def test_the_range_and_negative_bins(tmp_path, caplog):
    result = hand_made_result()
    view = result.histograms["x"].view()
    datasets = list(result.histograms["x"].axes["dataset"])
    systematics = list(result.histograms["x"].axes["systematic"])
    view.value[datasets.index("TT"), systematics.index("nominal"), 2] = -0.5  # bin [2, 3)
    result, config = with_inference(result, range=(1.0, 3.0), shape=[])
    with caplog.at_level(logging.WARNING, logger="opencoffea"):
        model = statistical_model(result, config)
    assert model.warnings == ["x: tt has 1 negative bin(s) (bins 1, down to -0.5): set to 0"]
    assert caplog.messages == model.warnings
    channel = model.channels[0]
    np.testing.assert_allclose(channel.edges, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(channel.nominal["tt"], [8.0, 0.0])
    check_card(write_datacard(model, tmp_path))


def test_mistakes_are_clear():
    result, config = with_inference(hand_made_result(), shape=["jse"])
    with pytest.raises(InferenceError, match=r"no variation 'jse' \(did you mean 'jes'\?\)"):
        statistical_model(result, config)
    with pytest.raises(InferenceError, match="no 'inference:' section"):
        statistical_model(hand_made_result())
    result, config = with_inference(hand_made_result(), range=(10.0, 20.0))
    with pytest.raises(InferenceError, match=r"range \[10.0, 20.0\] holds no bin"):
        statistical_model(result, config)


def test_three_channels_of_the_demo_from_the_command_line(higgs4l_demo, tmp_path, capsys):
    assert main(["export", "datacard", str(higgs4l_demo), "--output", str(tmp_path)]) == 0
    assert "datacard" in capsys.readouterr().err
    _, channels, names, _, nuisances = check_card(tmp_path / "higgs4l_demo.txt")
    assert channels == ["m4l_4mu", "m4l_4e", "m4l_2e2mu"]
    assert names == ["H125", "ZZ"] * 3
    assert [n[0] for n in nuisances] == ["lumi", "xsec_ZZ"]


def test_yaml_mistakes_in_the_new_sections_name_their_line():
    text = """
name: x
processor: a.py:A
luminosity: 1.0
datasets:
  H: {files: [h.root], kind: mc, xsec: 1.0, group: Higgs}
  D: {files: [d.root], kind: data, group: Data}
histograms:
  m: {axes: [{name: m, bins: 2, start: 0, stop: 2}, {name: channel, categories: [a, b]}]}
normalisation: {lumi: 0.02, xsec: {Higs: 0.1}}
inference: {histogram: m, channel_axis: channel, channels: [c], signal: [Higgs], data: Data}
"""
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    message = str(err.value)
    assert "line 10, normalisation.xsec.Higs: no dataset is in group 'Higs'" in message
    assert "(did you mean 'Higgs'?)" in message
    assert "line 11, inference.channel_axis: 'c' is not a category of 'channel'" in message
