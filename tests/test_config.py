"""Bad YAML gives an error naming the file, the line and the key (DESIGN invariant 3)."""

from __future__ import annotations

import re
import textwrap

import awkward as ak
import pytest

from opencoffea import Processor, run
from opencoffea.cli import main
from opencoffea.config import load_config
from opencoffea.eras import load_manifest
from opencoffea.errors import ConfigError

GOOD = """\
name: demo
processor: analyses/dimuon.py:DimuonSpectrum
luminosity: 100
datasets:
  Data: {files: [data.root], kind: data}
  DY:
    files: ["dy/*.root"]
    kind: mc
    xsec: 6077.22
    group: Drell-Yan
histograms:
  mass:
    axes:
      - {name: mass, bins: 100, start: 0.25, stop: 300, transform: log}
      - {name: channel, categories: [mm, ee]}
      - {name: njets, type: integer, start: 0, stop: 10}
      - {name: pt, edges: [0, 10, 20, 50]}
plots:
  mass: {data: Data, stack: [Drell-Yan], logy: true}
execution: {executor: dask, workers: 2, chunksize: 1000}
"""


ESCAPES = "names a file or directory of the result: letters, digits, '_', '-' and '.' (not first)"


def write(tmp_path, text):
    path = tmp_path / "analysis.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path, text) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_a_good_file_loads_with_defaults_and_inferred_axis_types(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.datasets["DY"].group == "Drell-Yan"
    assert config.group_of("Data") == "Data"
    assert [a.type for a in config.histograms["mass"].axes] == [
        "regular",
        "category",
        "integer",
        "variable",
    ]
    assert config.execution.executor == "dask"
    assert config.resolve("x.root") == tmp_path / "x.root"  # relative to the YAML file


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        (
            "    group: Drell-Yan",
            "    gruop: Drell-Yan",
            10,
            "datasets.DY.gruop: unknown key 'gruop' (did you mean 'group'?)",
        ),
        (
            "kind: data}",
            "kind: dta}",
            5,
            "datasets.Data.kind: 'dta' is not allowed (did you mean 'data'?); allowed: data, mc",
        ),
        (
            "executor: dask",
            "executor: dsak",
            20,
            "execution.executor: 'dsak' is not allowed (did you mean 'dask'?)",
        ),
        (
            "chunksize: 1000",
            "chunksize: -5",
            20,
            "execution.chunksize: Input should be greater than 0",
        ),
        ("    xsec: 6077.22\n", "", 6, "datasets.DY: simulation needs 'xsec'"),
        (
            "start: 0.25, stop: 300",
            "start: 300, stop: 0.25",
            14,
            "histograms.mass.axes.0: stop (0.25) must be greater",
        ),
        (
            "transform: log}",
            "transform: logg}",
            14,
            "histograms.mass.axes.0.transform: 'logg' is not allowed (did you mean 'log'?)",
        ),
        ("type: integer", "type: intger", 16, "'intger' is not allowed (did you mean 'integer'?)"),
        (
            "stack: [Drell-Yan]",
            "stack: [DrellYan]",
            19,
            "plots.mass.stack: names group 'DrellYan', which no dataset has "
            "(did you mean 'Drell-Yan'?)",
        ),
        (
            "processor: analyses/dimuon.py:DimuonSpectrum",
            "processor: analyses/dimuon.py",
            2,
            "processor: String should match pattern",
        ),
        ("luminosity: 100\n", "", 1, "'luminosity' (pb^-1) is needed to normalise the simulation"),
        (
            "{files: [data.root], kind: data}",
            "{files: [data.root], kind: data, xsec: 3}",
            5,
            "datasets.Data: 'xsec' is for simulation",
        ),
        ("{files: [data.root], kind: data}", "{kind: data}", 5, "give exactly one source"),
        ("{name: channel,", "{name: dataset,", 15, "the axis name 'dataset' is reserved"),
        ("{name: channel,", "{name: where,", 15, "the axis name 'where' is reserved"),
        # names that would put a file outside the output directory, or hide it there
        ("name: demo", "name: ..", 1, f"name: {ESCAPES}"),
        ("name: demo", "name: ../../elsewhere", 1, f"name: {ESCAPES}"),
        ("  mass: {data", "  ../../m4l: {histogram: mass, data", 19, f"plots.../../m4l: {ESCAPES}"),
        ("  mass: {data", "  /tmp/m4l: {histogram: mass, data", 19, f"plots./tmp/m4l: {ESCAPES}"),
        ("  mass: {data", "  .hidden: {histogram: mass, data", 19, f"plots..hidden: {ESCAPES}"),
        ("  DY:\n", "  ../DY:\n", 6, f"datasets.../DY: {ESCAPES}"),
        ("  mass:\n    axes", "  ..:\n    axes", 12, f"histograms...: {ESCAPES}"),
        # normalisation numbers: finite and positive
        ("luminosity: 100", "luminosity: .inf", 3, "luminosity: Input should be a finite number"),
        ("luminosity: 100", "luminosity: 0", 3, "luminosity: Input should be greater than 0"),
        ("xsec: 6077.22", "xsec: .nan", 9, "datasets.DY.xsec: Input should be a finite number"),
        ("xsec: 6077.22", "xsec: -1", 9, "datasets.DY.xsec: Input should be greater than 0"),
        (
            "    group: Drell-Yan",
            "    group: Drell-Yan\n    scale: .inf",
            11,
            "datasets.DY.scale: Input should be a finite number",
        ),
        (
            "    group: Drell-Yan",
            "    group: Drell-Yan\n    scale: 0",
            11,
            "datasets.DY.scale: Input should be greater than 0",
        ),
        (
            "    group: Drell-Yan",
            "    group: Drell-Yan\n    luminosity: .nan",
            11,
            "datasets.DY.luminosity: Input should be a finite number",
        ),
        (
            "    group: Drell-Yan",
            "    group: Drell-Yan\n    sumw: -.inf",
            11,
            "datasets.DY.sumw: Input should be a finite number",
        ),
    ],
)
def test_each_mistake_names_file_line_and_key(tmp_path, old, new, line, expected):
    assert old in GOOD
    message = error_of(tmp_path, GOOD.replace(old, new))
    assert f"analysis.yaml, line {line}, " in message
    assert expected in message


def test_several_mistakes_are_reported_together(tmp_path):
    text = GOOD.replace("kind: data}", "kind: dta}").replace("executor: dask", "executor: x")
    message = error_of(tmp_path, text)
    assert message.startswith("2 problems in the configuration")
    assert "line 5" in message and "line 20" in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    message = error_of(tmp_path, GOOD.replace("luminosity: 100", "luminosity: [100"))
    assert "analysis.yaml, line" in message and "not valid YAML" in message


def test_duplicate_key_is_an_error(tmp_path):
    message = error_of(tmp_path, GOOD + "name: again\n")
    assert "line 21, name: key given twice" in message


def test_not_a_mapping_and_missing_file(tmp_path):
    assert "must be a mapping" in error_of(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.yaml")


def test_yaml_is_loaded_safely(tmp_path):
    message = error_of(
        tmp_path, GOOD.replace("name: demo", "name: !!python/object/apply:os.system [ls]")
    )
    assert "not valid YAML" in message


def test_check_command_reports_without_traceback(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("executor: dask", "executor: dsak"))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "did you mean 'dask'" in err and "Traceback" not in err


WITHOUT_PROCESSOR = """\
name: notebook
luminosity: 1
datasets:
  DY: {generate: {process: dy_mumu, events: 500, seed: 3}, kind: mc, xsec: 1}
histograms:
  n: {axes: [{name: n, type: integer, start: 0, stop: 5}]}
"""


class Muons(Processor):
    def analyze(self, events, out):
        out.fill("n", n=ak.num(events.Muon))


def test_a_file_without_processor_loads_and_runs_with_the_class_given(tmp_path, capsys):
    path = write(tmp_path, WITHOUT_PROCESSOR)
    assert load_config(path).processor is None  # loads: a notebook gives the class to run()
    assert main(["check", str(path)]) == 0
    assert "processor none (give one to opencoffea.run)" in capsys.readouterr().err
    result = run(path, Muons, status=False, executor="iterative")
    assert result.events_processed == 500
    assert result.config.processor.endswith(":Muons")

    needed = f"{path}: 'processor' is needed to run datasets with events"
    with pytest.raises(ConfigError, match=re.escape(needed)):
        run(path, status=False)
    assert main(["run", str(path), "--quiet", "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "'processor' is needed" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_check_command_names_a_missing_processor_file(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    assert main(["check", str(path)]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("corrections", "expected"),
    [
        (
            "  jets: {payload: jet_jerc.json.gz}\n",
            [
                "line 22, corrections.jets.mc_jec: this key is required with a payload of its "
                "own (or give no payload, and an 'era:' whose keys are taken)",
                "line 22, corrections.jets.data_jec: data datasets need the data JEC keys by run",
            ],
        ),
        (
            "  jets: {payload: jet_jerc.json.gz, data_jec: [[1, 9, X_DATA_L1L2L3Res_AK4PFchs]]}\n"
            "era: 2016postVFP_UL\n",
            [
                "line 22, corrections.jets.mc_jec: this key is required with a payload of its "
                "own (the era's keys are taken only where no payload is given)"
            ],
        ),
        ("  jets: {}\n", ["line 22, corrections.jets: give its payload and keys, or an 'era:'"]),
        (
            "  jets: {data_jec: [[9, 1, X_DATA_L1L2L3Res_AK4PFchs]]}\nera: 2016postVFP_UL\n",
            ["line 22, corrections.jets.data_jec.0: run range 9-1 is empty"],
        ),
        (
            "  pileup: {payload: puWeights.json.gz}\n",
            ["line 22, corrections.pileup.key: a payload given needs its key"],
        ),
    ],
)
def test_a_missing_correction_key_names_file_and_line(tmp_path, corrections, expected):
    message = error_of(tmp_path, GOOD + "corrections:\n" + corrections)
    assert len(expected) == 1 or message.startswith(f"{len(expected)} problems")
    for line in expected:
        assert f"analysis.yaml, {line}" in message


def test_the_era_gives_the_jet_keys_a_file_leaves_out(tmp_path):
    jets = "  jets: {jer_resolution: R, jer_scale_factor: S}\n"
    text = GOOD + "era: 2016postVFP_UL\ncorrections:\n" + jets
    config = load_config(write(tmp_path, text))
    era = load_manifest().era("2016postVFP_UL").jets
    keys = config.corrections.jets.over(era)
    assert (keys.payload, keys.mc_jec, keys.data_jec) == (era.payload, era.mc_jec, era.data_jec)
    assert (keys.jer_resolution, keys.jer_scale_factor) == ("R", "S")
