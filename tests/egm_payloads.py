"""Small correctionlib payloads with the structure of EGM's Run 3 scale and smearing ones.

The Run 3 e/γ payloads are not in the test data; these have their keys, inputs and value
types (and nothing of their numbers), so the code that reads them by their declared names
is tested on both families.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import correctionlib.schemav2 as schema


def write_payload(path: Path, corrections: list, compound: list | None = None) -> Path:
    document = schema.CorrectionSet(
        schema_version=2, corrections=corrections, compound_corrections=compound
    )
    with gzip.open(path, "wt") as stream:
        stream.write(document.model_dump_json(exclude_unset=True))
    return path


def variables(*names: str) -> list[schema.Variable]:
    types = {"syst": "string", "valtype": "string", "gain": "int"}
    return [schema.Variable(name=name, type=types.get(name, "real")) for name in names]


def by_key(input_: str, content: dict) -> schema.Category:
    items = [schema.CategoryItem(key=key, value=value) for key, value in content.items()]
    return schema.Category(nodetype="category", input=input_, content=items)


def binned(input_: str, edges: list[float], content: list) -> schema.Binning:
    return schema.Binning(
        nodetype="binning", input=input_, edges=edges, content=content, flow="clamp"
    )


def et_dependent_payload(
    path: Path, era: str = "2022preEE", abs_eta: bool = True, particle: str = "Ele"
) -> Path:
    """Like EGM's electronSS_EtDependent.json.gz (photonSS_…: ``particle="Pho"``): a compound
    scale stacking a run-dependent and a pt-dependent step (pt updated in between), and
    EGMSmearAndSyst with the smearing width, its uncertainty and the scale uncertainty for
    simulation. The 2024 payloads drop AbsScEta and bin the smearing in signed ScEta:
    ``abs_eta=False``."""
    barrel = binned("r9", [0.0, 0.96, 1.0], [0.03, 0.02])
    if abs_eta:
        width = binned("AbsScEta", [0.0, 1.4442, 1.566, 2.5], [barrel, 0.04, 0.035])
    else:
        width = binned("ScEta", [-2.5, -1.4442, 1.4442, 2.5], [0.035, barrel, 0.035])
    by_run = binned("run", [355000.0, 357000.0, 360000.0], [0.99, 1.01])
    by_pt = binned(
        "pt", [0.0, 40.0, 1000.0], [binned("r9", [0.0, 0.96, 1.0], [1.02, 1.015]), 0.995]
    )
    steps = [
        schema.Correction(
            name=f"EGMScaleVsRun_{particle}_{era}",
            version=1,
            inputs=variables("syst", "run", "ScEta"),
            output=schema.Variable(name="scale", type="real"),
            data=by_key("syst", {"scale": by_run}),
        ),
        schema.Correction(
            name=f"EGMScale_{particle}PTsplit_{era}",
            version=1,
            inputs=variables("syst", "pt", "r9", "seedGain"),
            output=schema.Variable(name="scale", type="real"),
            data=by_key("syst", {"scale": by_pt}),
        ),
    ]
    smear = schema.Correction(
        name=f"EGMSmearAndSyst_{particle}PTsplit_{era}",
        version=1,
        inputs=variables("syst", "pt", "r9", "AbsScEta" if abs_eta else "ScEta"),
        output=schema.Variable(name="value", type="real"),
        data=by_key(
            "syst",
            {
                "smear": width,
                "esmear": 0.004,
                "escale": binned("pt", [0.0, 50.0, 1000.0], [0.003, 0.006]),
            },
        ),
    )
    compound = schema.CompoundCorrection(
        name=f"EGMScale_Compound_{particle}_{era}",
        inputs=variables(
            "syst", "run", "ScEta", "r9", *(["AbsScEta"] if abs_eta else []), "pt", "seedGain"
        ),
        output=schema.Variable(name="scale", type="real"),
        inputs_update=["pt"],
        input_op="*",
        output_op="*",
        stack=[step.name for step in steps],
    )
    return write_payload(path, [*steps, smear], [compound])


def standard_payload(path: Path) -> Path:
    """Like EGM's 2022-2023 electronSS.json.gz: "Scale" (valtype, gain, run, eta, r9, et) with
    total_correction/total_uncertainty and "Smearing" (valtype, eta, r9) with rho/err_rho."""
    by_gain = schema.Category(
        nodetype="category",
        input="gain",
        content=[
            schema.CategoryItem(key=g, value=v) for g, v in ((12, 1.004), (6, 0.998), (1, 0.99))
        ],
    )
    scale = schema.Correction(
        name="Scale",
        version=1,
        inputs=variables("valtype", "gain", "run", "eta", "r9", "et"),
        output=schema.Variable(name="value", type="real"),
        data=by_key(
            "valtype",
            {
                "total_correction": by_gain,
                "total_uncertainty": binned("eta", [-2.5, 0.0, 2.5], [0.002, 0.005]),
            },
        ),
    )
    smearing = schema.Correction(
        name="Smearing",
        version=1,
        inputs=variables("valtype", "eta", "r9"),
        output=schema.Variable(name="value", type="real"),
        data=by_key(
            "valtype", {"rho": binned("r9", [0.0, 0.96, 1.0], [0.025, 0.015]), "err_rho": 0.003}
        ),
    )
    return write_payload(path, [scale, smearing])
