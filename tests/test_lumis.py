"""Golden-JSON masks on data, and the lumi sections a run reports as processed."""

from __future__ import annotations

import json

import numpy as np
import uproot

from opencoffea import run, write_result
from opencoffea.datasets.lumis import LumiSections

from .conftest import real_file
from .helpers import config_of

GOLDEN_2016 = "Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON_MuonPhys.txt"


def certified(golden: dict, runs: np.ndarray, lumis: np.ndarray) -> np.ndarray:
    """Independent of coffea: is each (run, lumi) inside a range of the golden JSON?"""
    out = np.zeros(len(runs), dtype=bool)
    for i, (r, ls) in enumerate(zip(runs, lumis, strict=True)):
        out[i] = any(a <= ls <= b for a, b in golden.get(str(r), []))
    return out


def test_golden_json_masks_data_and_processed_sections_are_written(tmp_path):
    golden_path = real_file("lumimasks", GOLDEN_2016)
    golden = json.loads(golden_path.read_text())
    config = config_of(
        tmp_path,
        datasets={
            "Data": {
                "generate": {"process": "dimuon_data", "events": 6000, "seed": 11},
                "kind": "data",
                "lumimask": str(golden_path),
            }
        },
    )
    result = run(config, chunksize=1000, status=False)
    (record,) = result.inputs["Data"]
    with uproot.open(record.info.path) as f:
        ids = f["Events"].arrays(["run", "luminosityBlock"], library="np")
    inside = certified(golden, ids["run"], ids["luminosityBlock"])
    assert 0 < inside.sum() < len(inside)  # the sample has sections on both sides

    cutflow = result.cutflows["Data"].entries
    assert cutflow["lumi mask"][0] == inside.sum()

    expected = LumiSections.from_events(ids["run"][inside], ids["luminosityBlock"][inside])
    assert result.lumis["Data"] == expected

    directory = write_result(result, tmp_path / "out")
    manifest = json.loads((directory / "manifest.json").read_text())
    entry = manifest["lumi_sections"]["Data"]
    assert entry["sections"] == len(expected)
    written = json.loads((directory / entry["file"]).read_text())
    assert written == expected.to_golden_json()
    for run_number, ranges in written.items():  # every processed section is certified
        for first, last in ranges:
            assert all(
                certified(golden, np.array([int(run_number)]), np.array([ls]))[0]
                for ls in range(first, last + 1)
            )


def test_lumi_sections_add_up_and_compact_into_ranges():
    a = LumiSections.from_events([5, 5, 7], [1, 2, 9])
    b = LumiSections.from_events([5, 5], [3, 10])
    assert (a + b).to_golden_json() == {"5": [[1, 3], [10, 10]], "7": [[9, 9]]}
    assert a + b == b + a and len(a + b) == 5
