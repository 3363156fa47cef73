"""The HEPData record: it validates (hepdata-validator), and its numbers are those of each
plot's JSON."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import yaml
from hepdata_validator.full_submission_validator import FullSubmissionValidator

from opencoffea.cli import main
from opencoffea.config import HEPDataConfig
from opencoffea.errors import InferenceError
from opencoffea.inference import write_hepdata
from opencoffea.plotting import plot_numbers

from .test_band import hand_made_result


def tables(directory):
    """``{table name: its YAML}`` of a written record, as submission.yaml lists them."""
    documents = list(yaml.safe_load_all((directory / "submission.yaml").read_text()))
    return {
        d["name"]: yaml.safe_load((directory / d["data_file"]).read_text())
        for d in documents
        if d and "data_file" in d
    }


def check_equal(table, numbers):
    """Every number of a table against the plot's JSON (hepdata_lib keeps 5 digits)."""
    (x,) = table["independent_variables"]
    edges = numbers["edges"]
    assert [(b["low"], b["high"]) for b in x["values"]] == list(itertools.pairwise(edges))
    columns = {v["header"]["name"]: v for v in table["dependent_variables"]}
    expected = dict(numbers["groups"])
    if numbers["band"] is not None:
        band = numbers["band"]
        expected["Total prediction"] = {
            "values": band["values"],
            "variances": np.square(band["stat_error"]),
            "syst_down": band["syst_down"],
            "syst_up": band["syst_up"],
        }
    assert set(columns) == set(expected)
    for name, entry in expected.items():
        values = [b["value"] for b in columns[name]["values"]]
        np.testing.assert_allclose(values, entry["values"], rtol=1e-4)
        for i, b in enumerate(columns[name]["values"]):
            errors = {e["label"]: e for e in b.get("errors", [])}
            stat = errors.get("stat", {}).get("symerror", 0.0)
            assert stat == pytest.approx(np.sqrt(entry["variances"][i]), rel=1e-4, abs=1e-12)
            if "syst_up" in entry and "syst" in errors:
                syst = errors["syst"]
                pair = (
                    (syst["asymerror"]["minus"], syst["asymerror"]["plus"])
                    if ("asymerror" in syst)
                    else (-syst["symerror"], syst["symerror"])
                )
                assert pair == pytest.approx((entry["syst_down"][i], entry["syst_up"][i]), rel=1e-4)
        qualifiers = {q["name"]: q["value"] for q in columns[name]["qualifiers"]}
        assert qualifiers == {"SQRT(S)": 13000.0, "LUMINOSITY": "0.001 fb$^{-1}$"}


def test_the_record_validates_and_equals_the_plot_json(tmp_path):
    result = hand_made_result(ratio=True)
    config = result.config.model_copy(update={"hepdata": HEPDataConfig(sqrt_s=[13000])})
    directory = write_hepdata(result, tmp_path / "hepdata", config)
    assert sorted(p.name for p in directory.iterdir()) == ["submission.yaml", "x.yaml"]
    validator = FullSubmissionValidator()
    assert validator.validate(directory=str(directory)), validator.get_messages()
    assert validator.validate(archive=str(tmp_path / "hepdata.tar.gz"))
    (table,) = tables(directory).values()
    check_equal(table, plot_numbers(result, "x", config))
    # nothing else left beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hepdata", "hepdata.tar.gz"]


def test_without_a_hepdata_section_nothing_is_written(tmp_path):
    with pytest.raises(InferenceError, match="no 'hepdata:' section"):
        write_hepdata(hand_made_result(), tmp_path / "hepdata")
    assert not list(tmp_path.iterdir())


def test_cli_export_hepdata_of_the_demo(higgs4l_demo, tmp_path, capsys):
    assert main(["export", "hepdata", str(higgs4l_demo), "--output", str(tmp_path / "h")]) == 0
    assert "validated" in capsys.readouterr().err
    written = tables(tmp_path / "h")
    assert list(written) == ["m4l", "m4l_4mu", "m4l_4e", "m4l_2e2mu", "mZ1", "mZ2"]
    plots = (
        json.loads((higgs4l_demo / "plots" / "m4l.json").read_text())
        if (higgs4l_demo / "plots" / "m4l.json").exists()
        else None
    )
    from opencoffea import load_result

    numbers = plot_numbers(load_result(higgs4l_demo), "m4l")
    assert plots is None or plots == numbers
    columns = {v["header"]["name"]: v for v in written["m4l"]["dependent_variables"]}
    np.testing.assert_allclose(
        [b["value"] for b in columns["Data"]["values"]], numbers["groups"]["Data"]["values"]
    )
