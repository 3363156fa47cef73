"""The pyhf workspace and the fit: the workspace validates against pyhf's schema; an injected
signal strength μ = 1.5 is recovered; the fit of the run-1 H → 4ℓ histograms is the one pyhf
gives when called directly here on the same numbers, read from the files independently."""

from __future__ import annotations

import json

import hist
import numpy as np
import pyhf
import pytest
import uproot
import yaml
from scipy.stats import norm

from opencoffea import run
from opencoffea.cli import main
from opencoffea.config import AnalysisConfig, Inference
from opencoffea.inference import fit_workspace, pyhf_workspace, statistical_model, write_fit
from opencoffea.results import Result

from .test_band import hand_made_result
from .test_premade import local_config


def test_the_workspace_validates_against_pyhf_schema():
    result = hand_made_result()
    config = result.config.model_copy(
        update={"inference": Inference(histogram="x", signal=["H"], data="Data")}
    )
    spec = pyhf_workspace(statistical_model(result, config))
    pyhf.schema.validate(spec, "workspace.json")
    model = pyhf.Workspace(spec).model()
    assert model.config.poi_name == "mu"
    assert set(model.config.parameters) == {"mu", "jes", "pileup", "lumi", "xsec_tt", "staterror_x"}


def injected(mu: float, seed: int = 7) -> Result:
    """A result whose data are background + μ · signal, Poisson-fluctuated: 2 channels."""
    edges = np.linspace(100, 150, 11)
    centres = (edges[:-1] + edges[1:]) / 2
    signal = 30 * np.exp(-0.5 * ((centres - 125) / 4) ** 2)
    background = np.full(10, 40.0)
    h = hist.Hist(
        hist.axis.StrCategory([], name="dataset", growth=True),
        hist.axis.StrCategory([], name="systematic", growth=True),
        hist.axis.Regular(10, 100, 150, name="m"),
        hist.axis.StrCategory(["a", "b"], name="channel"),
        storage=hist.storage.Weight(),
    )
    rng = np.random.default_rng(seed)
    for channel, size in (("a", 1.0), ("b", 0.5)):
        for dataset, values in (("S", size * signal), ("B", size * background)):
            h.fill(dataset=dataset, systematic="nominal", m=centres, channel=channel, weight=values)
        data = rng.poisson(size * (background + mu * signal))
        h.fill(dataset="D", systematic="nominal", m=np.repeat(centres, data), channel=channel)
    h.view().variance[:2] = 0.0  # simulation without statistical uncertainty
    config = AnalysisConfig(
        name="injected",
        processor="a.py:A",
        luminosity=1.0,
        datasets={
            "S": {"files": ["s.root"], "kind": "mc", "xsec": 1.0},
            "B": {"files": ["b.root"], "kind": "mc", "xsec": 1.0},
            "D": {"files": ["d.root"], "kind": "data"},
        },
        histograms={
            "m": {
                "axes": [
                    {"name": "m", "bins": 10, "start": 100, "stop": 150},
                    {"name": "channel", "categories": ["a", "b"]},
                ]
            }
        },
        normalisation={"lumi": 0.025},
        inference={"histogram": "m", "channel_axis": "channel", "signal": ["S"], "mc_stats": None},
    )
    inputs = {name: {"group": name, "kind": d.kind} for name, d in config.datasets.items()}
    return Result(config, {"inputs": inputs}, {"m": h}, {"m": h}, {}, {})


def test_an_injected_signal_strength_is_recovered(tmp_path):
    fit = fit_workspace(pyhf_workspace(statistical_model(injected(1.5))))
    assert abs(fit.mu - 1.5) < fit.mu_error
    assert 0.1 < fit.mu_error < 0.5
    assert fit.significance > 5 and fit.limit is not None and fit.limit > fit.mu
    assert fit.limit_expected is not None and fit.limit_expected == sorted(fit.limit_expected)
    written = write_fit(fit, tmp_path, "injected")
    assert [p.name for p in written] == ["fit.json", "pulls.png", "pulls.pdf"]
    saved = json.loads(written[0].read_text())
    assert saved["mu"] == {"value": fit.mu, "uncertainty": fit.mu_error}
    assert list(saved["pulls"]) == ["lumi"]


@pytest.mark.slow
def test_the_run1_fit_is_pyhf_called_directly_on_the_same_numbers(tmp_path):
    config = local_config(tmp_path)
    ours = fit_workspace(pyhf_workspace(statistical_model(run(config, status=False))), limit=False)

    # the same model, written here from the files: scale L·σ·sf/N, per channel and group
    document = yaml.safe_load(config.source.read_text())
    spec = document["inference"]
    low, high = spec["range"]
    kappas = {"ZZ → 4ℓ": 1.1, "Z/γ* + X": 1.2, "tt̄": 1.2}
    channels, observations = [], []
    for channel in ("4mu", "4e", "2e2mu"):
        values: dict[str, np.ndarray] = {}
        variances: dict[str, np.ndarray] = {}
        for dataset in document["datasets"].values():
            where = dataset["read"]["m4l"]["channel"]
            if channel not in where:
                continue
            with uproot.open(dataset["files"][0]) as f:
                h = f[where[channel]]
                counts, sumw2, edges = h.values(), h.variances(), h.axis().edges()
            scale = 1.0
            if dataset["kind"] == "mc":
                lumi = dataset.get("luminosity", document["luminosity"])
                scale = lumi * dataset["xsec"] * dataset.get("scale", 1.0) / dataset["sumw"]
            group = dataset["group"]
            values[group] = values.get(group, 0) + counts * scale
            variances[group] = variances.get(group, 0) + sumw2 * scale**2
        centres = (edges[:-1] + edges[1:]) / 2
        inside = (centres > low) & (centres < high)
        samples = []
        for group, process in spec["processes"].items():
            modifiers = [
                {"name": "lumi", "type": "normsys", "data": {"hi": 1.026, "lo": 1 / 1.026}}
            ]
            if group in kappas:
                k = kappas[group]
                modifiers.append(
                    {"name": f"xsec_{process}", "type": "normsys", "data": {"hi": k, "lo": 1 / k}}
                )
            if group == "m_H = 125 GeV":
                modifiers.append({"name": "mu", "type": "normfactor", "data": None})
            modifiers.append(
                {
                    "name": f"staterror_m4l_{channel}",
                    "type": "staterror",
                    "data": np.sqrt(variances[group][inside]).tolist(),
                }
            )
            samples.append(
                {"name": process, "data": values[group][inside].tolist(), "modifiers": modifiers}
            )
        channels.append({"name": f"m4l_{channel}", "samples": samples})
        observations.append({"name": f"m4l_{channel}", "data": values["Data"][inside].tolist()})
    workspace = pyhf.Workspace(
        {
            "channels": channels,
            "observations": observations,
            "version": "1.0.0",
            "measurements": [{"name": "run1", "config": {"poi": "mu", "parameters": []}}],
        }
    )
    pyhf.set_backend("numpy", pyhf.optimize.minuit_optimizer(verbose=0))
    try:
        model = workspace.model()
        data = workspace.data(model)
        fitted = pyhf.infer.mle.fit(data, model, return_uncertainties=True)
        p0 = pyhf.infer.hypotest(0.0, data, model, test_stat="q0")
    finally:
        pyhf.set_backend("numpy", "scipy")
    poi = model.config.poi_index
    assert ours.mu == pytest.approx(float(fitted[poi, 0]), abs=2e-3)
    assert ours.mu_error == pytest.approx(float(fitted[poi, 1]), rel=1e-2)
    assert ours.significance == pytest.approx(float(norm.isf(float(p0))), abs=1e-2)
    # the 125 GeV excess: about 3σ in these histograms
    assert 0.4 < ours.mu < 1.5 and 2.5 < ours.significance < 3.5


@pytest.mark.slow
def test_cli_export_pyhf_and_fit_on_the_demo(higgs4l_demo, tmp_path, capsys):
    assert main(["export", "pyhf", str(higgs4l_demo), "--output", str(tmp_path)]) == 0
    pyhf.schema.validate(json.loads((tmp_path / "workspace.json").read_text()), "workspace.json")
    assert main(["fit", str(higgs4l_demo), "--output", str(tmp_path), "--no-limit"]) == 0
    said = capsys.readouterr().err
    assert "μ = " in said and "σ observed" in said
    assert json.loads((tmp_path / "fit.json").read_text())["upper_limit_95cl"] is None
