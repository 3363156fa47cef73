"""Mistakes between the parts of a YAML file, found once each part is valid on its own.

A plot names a histogram that is not booked, a systematic needs a correction not given,
a scale factor names a working point its era does not have: each is a ``(key path,
message)`` pair, which the loader turns into a line of the error (file, line, key).
A file without ``processor:`` is not one of them: a notebook gives its class to
``opencoffea.run``, and only a run without one asks for it
(:func:`~opencoffea.processor.load_processor`).

The era's keys come from the payload manifest (:mod:`opencoffea.eras`), and the jet keys
of a file are checked as they will be used: merged with the era's
(:meth:`~opencoffea.jetkeys.JetKeys.over`).

Example:
    >>> from opencoffea.config import AnalysisConfig
    >>> config = AnalysisConfig(name="demo", datasets={"d": {"files": ["x.root"], "kind": "data"}},
    ...                         systematics=["jes"])
    >>> for path, message in cross_check(config):
    ...     print(path, message)
    ('systematics', 0) 'jes' needs corrections.jets
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from ..eras import Era, load_manifest
from ..errors import OpenCoffeaError
from ..jetkeys import JetKeys
from ..util import choices, did_you_mean
from .corrections import (
    SYSTEMATICS,
    Corrections,
    EnergyConfig,
    JetCorrectionsConfig,
    ScaleFactorConfig,
)
from .datasets import Dataset
from .histograms import CategoryAxis

if TYPE_CHECKING:  # the model of the whole file imports nothing from here
    from .analysis import AnalysisConfig

__all__ = ["Problem", "cross_check"]

Problem = tuple[tuple, str]
"""A mistake: the key path in the file where it is, and what is wrong."""


def cross_check(config: AnalysisConfig) -> list[Problem]:
    """Mistakes between parts of the file, as (key path, message) pairs."""
    problems: list[Problem] = []
    if any(
        d.kind == "mc" and not (d.luminosity or config.luminosity) for d in config.datasets.values()
    ):
        problems.append(((), "'luminosity' (pb^-1) is needed to normalise the simulation"))
    for name, spec in config.datasets.items():
        problems += _check_read(config, name, spec)
    problems += _check_corrections(config)
    problems += _check_plots(config)
    problems += _check_inference(config)
    return problems


def _check_plots(config: AnalysisConfig) -> list[Problem]:
    """A plot must name a booked histogram and groups that datasets have."""
    problems: list[Problem] = []
    groups = {d.group or name for name, d in config.datasets.items()}
    for name, plot in config.plots.items():
        histogram = plot.histogram or name
        if histogram not in config.histograms:
            key = ("plots", name, "histogram") if plot.histogram else ("plots", name)
            problems.append(
                (
                    key,
                    f"names histogram {histogram!r}, which is not booked"
                    + did_you_mean(histogram, config.histograms),
                )
            )
        for role in ("stack", "signal", "data"):
            value = getattr(plot, role)
            for group in value if isinstance(value, list) else [value] if value else []:
                if group not in groups:
                    problems.append(
                        (
                            ("plots", name, role),
                            f"names group {group!r}, which no dataset has"
                            + did_you_mean(group, groups)
                            + f"; groups: {', '.join(sorted(groups))}",
                        )
                    )
    return problems


def _check_inference(config: AnalysisConfig) -> list[Problem]:
    """``normalisation``, ``inference`` and ``hepdata`` name groups, axes and plots that exist."""
    kinds: dict[str, set[str]] = {}
    for name, dataset in config.datasets.items():
        kinds.setdefault(dataset.group or name, set()).add(dataset.kind)
    problems: list[Problem] = []

    def group(key: tuple, value: str, kind: str) -> None:
        if value not in kinds:
            problems.append(
                (key, f"no dataset is in group {value!r}" + choices(value, kinds, "groups"))
            )
        elif kinds[value] != {kind}:
            problems.append(
                (key, f"group {value!r} is not {'simulation' if kind == 'mc' else 'data'}")
            )

    for name in config.normalisation.xsec if config.normalisation else {}:
        group(("normalisation", "xsec", name), name, "mc")
    for index, name in enumerate(config.hepdata.plots if config.hepdata else []):
        if name not in config.plots:
            problems.append(
                (("hepdata", "plots", index), "no such plot" + choices(name, config.plots, "plots"))
            )
    spec = config.inference
    if spec is None:
        return problems
    for role in ("signal", "backgrounds"):
        for index, value in enumerate(getattr(spec, role)):
            group(("inference", role, index), value, "mc")
    if spec.data is not None:
        group(("inference", "data"), spec.data, "data")
    elif len({g for g, k in kinds.items() if k == {"data"}}) != 1:
        problems.append((("inference",), "name the observed group: 'data'"))
    if spec.histogram not in config.histograms:
        problems.append(
            (
                ("inference", "histogram"),
                "is not a booked histogram" + did_you_mean(spec.histogram, config.histograms),
            )
        )
        return problems
    categories = {
        a.name: a.categories
        for a in config.histograms[spec.histogram].axes
        if isinstance(a, CategoryAxis)
    }
    wanted = {axis: [value] for axis, value in spec.select.items()}
    if spec.channel_axis is not None:
        wanted[spec.channel_axis] = spec.channels
    for axis, values in wanted.items():
        key = ("inference", "channel_axis" if axis == spec.channel_axis else "select")
        if axis not in categories:
            problems.append(
                (
                    key,
                    f"{axis!r} is not a category axis of {spec.histogram!r}"
                    + choices(axis, categories, "category axes"),
                )
            )
            continue
        for value in values:
            if value not in categories[axis]:
                problems.append(
                    (
                        key,
                        f"{value!r} is not a category of {axis!r}"
                        + choices(value, categories[axis], "categories"),
                    )
                )
    return problems


def _check_read(config: AnalysisConfig, name: str, spec: Dataset) -> list[Problem]:
    """``read:`` must name booked histograms, their category axes and values."""
    problems: list[Problem] = []
    for histogram, where in (spec.read or {}).items():
        key = ("datasets", name, "read", histogram)
        if histogram not in config.histograms:
            problems.append(
                (key, "is not a booked histogram" + did_you_mean(histogram, config.histograms))
            )
            continue
        categories = {
            a.name: a.categories
            for a in config.histograms[histogram].axes
            if isinstance(a, CategoryAxis)
        }
        if isinstance(where, str):
            if categories:
                problems.append((key, f"give a path for each value of {', '.join(categories)}"))
            continue
        for axis, by_value in where.items():
            if axis not in categories:
                problems.append(
                    (
                        (*key, axis),
                        "is not a category axis of this histogram" + did_you_mean(axis, categories),
                    )
                )
                continue
            for value in by_value:
                if value not in categories[axis]:
                    problems.append(
                        (
                            (*key, axis, value),
                            f"is not a category of {axis!r}"
                            + did_you_mean(value, categories[axis]),
                        )
                    )
    return problems


# ---------------------------------------------------------------------------- corrections


def _check_corrections(config: AnalysisConfig) -> list[Problem]:
    """Corrections and systematics that cannot work, or would be a silent no-op."""
    corrections = config.corrections or Corrections()
    era, era_problems = None, []
    if config.era is not None and corrections != Corrections():
        try:
            era = load_manifest().era(config.era)
        except OpenCoffeaError as err:
            era_problems.append((("era",), str(err)))
    jet_keys, jet_problems = _jet_keys(corrections.jets, config.era, era)
    problems = _check_systematics(config.systematics, corrections, jet_keys)
    problems += era_problems
    pileup = corrections.pileup
    if pileup is not None and pileup.payload is None and config.era is None:
        problems.append(
            (("corrections", "pileup"), "give its payload and keys, or an 'era:' for them")
        )
    elif pileup is not None and pileup.payload is not None and pileup.key is None:
        problems.append((("corrections", "pileup", "key"), "a payload given needs its key"))
    problems += jet_problems
    kinds = {d.kind for d in config.datasets.values() if d.read is None}
    problems += _check_jet_kinds(corrections.jets, jet_keys, kinds)
    for part in ("electrons", "photons"):
        problems += _check_energy(part, getattr(corrections, part), kinds)
    for name, factor in corrections.scale_factors.items():
        problems += _check_scale_factor(name, factor, config.era, era)
    return problems


def _jet_keys(
    jets: JetCorrectionsConfig | None, era_name: str | None, era: Era | None
) -> tuple[JetKeys | None, list[Problem]]:
    """The jet keys as they will be used, the era's filling in (None where there are none
    to check), and what is missing."""
    where = ("corrections", "jets")
    if jets is None:
        return None, []
    if jets.payload is None:
        if era_name is None:
            return None, [(where, "give its payload and keys, or an 'era:' for them")]
        if era is None:
            return None, []  # the era itself is reported
        if era.jets is None:
            return None, [(where, f"era {era_name} has no jet corrections: give their payload")]
    keys = jets.over(era.jets if era is not None else None)
    if keys.mc_jec is not None:
        return keys, []
    hint = (
        "the era's keys are taken only where no payload is given"
        if era_name is not None
        else "or give no payload, and an 'era:' whose keys are taken"
    )
    return keys, [((*where, "mc_jec"), f"this key is required with a payload of its own ({hint})")]


def _check_systematics(
    systematics: list[str], corrections: Corrections, jet_keys: JetKeys | None
) -> list[Problem]:
    """A systematic needs the correction it varies: a silent no-op would be wrong."""
    needs = {"jes": "jets", "jer": "jets", "unclustered": "jets", "pileup": "pileup"}
    known = [*SYSTEMATICS, *corrections.scale_factors]
    problems: list[Problem] = []
    for index, name in enumerate(systematics):
        key = ("systematics", index)
        if name not in known:
            problems.append(
                (
                    key,
                    f"unknown systematic {name!r}{did_you_mean(name, known)}; known: "
                    + ", ".join(known),
                )
            )
        elif name in systematics[:index]:
            problems.append((key, f"{name!r} is given twice"))
        elif name == "egamma":
            if corrections.electrons is None and corrections.photons is None:
                problems.append((key, "'egamma' needs corrections.electrons or .photons"))
        elif name not in needs:
            continue  # a scale factor of corrections.scale_factors
        elif getattr(corrections, needs[name]) is None:
            problems.append((key, f"{name!r} needs corrections.{needs[name]}"))
        elif jet_keys is None:
            continue  # pileup, or jet keys that cannot be had (reported themselves)
        elif name == "jes" and not jet_keys.uncertainty:
            problems.append((key, "'jes' needs corrections.jets.uncertainty"))
        elif name == "jer" and not jet_keys.smears:
            problems.append((key, "'jer' needs the JER keys of corrections.jets"))
    return problems


# JME spells the kind of sample in its keys (Summer19UL16_V7_MC_..., ..._RunFGH_V7_DATA_...):
# a key of the wrong kind would correct data as simulation, or the reverse, without a sound.


def _check_jet_kinds(
    jets: JetCorrectionsConfig | None, keys: JetKeys | None, kinds: Collection[str]
) -> list[Problem]:
    """The keys a file gives are of the kind of sample they correct; data has its keys."""
    if jets is None:
        return []
    where = ("corrections", "jets")
    problems: list[Problem] = []
    if jets.mc_jec and "_DATA_" in jets.mc_jec:
        problems.append(((*where, "mc_jec"), "is a data key (_DATA_): simulation takes an MC key"))
    for index, period in enumerate(jets.data_jec):
        if "_MC_" in period.key:
            problems.append(
                ((*where, "data_jec", index), f"{period.key} is an MC key: data takes a _DATA_ key")
            )
    for name in ("uncertainty", "jer_resolution", "jer_scale_factor"):
        key = getattr(jets, name)
        if key and "_DATA_" in key:
            problems.append(
                ((*where, name), f"{key} is a data key: JES and JER vary simulation (an MC key)")
            )
    if keys is not None and not keys.data_jec and "data" in kinds:
        problems.append(((*where, "data_jec"), "data datasets need the data JEC keys by run"))
    return problems


def _check_energy(part: str, energy: EnergyConfig | None, kinds: Collection[str]) -> list[Problem]:
    if energy is None:
        return []
    where = ("corrections", part)
    if energy.payload is None:
        if energy.scale or energy.smear:
            return [
                (
                    where,
                    "scale and smear are keys of an EGM payload: give its payload too (Run 3 "
                    "NanoAOD), or nothing for Run 2 NanoAOD, which has them applied",
                )
            ]
        return []
    problems: list[Problem] = []
    if "data" in kinds and not energy.scale:
        problems.append((where, "data datasets need 'scale', the key of the data energy scale"))
    if "mc" in kinds and not energy.smear:
        problems.append((where, "simulated datasets need 'smear', the key of the smearing"))
    return problems


def _check_scale_factor(
    name: str, factor: ScaleFactorConfig, era_name: str | None, era: Era | None
) -> list[Problem]:
    where = ("corrections", "scale_factors", name)
    if factor.object == "muon":
        if factor.working_point is not None:
            return [((*where, "working_point"), "muon scale factors are chosen by their key")]
        if factor.key is None:
            return [(where, "a muon scale factor needs its key (NUM_TightID_DEN_TrackerMuons…)")]
    elif factor.working_point is None:
        return [(where, f"{factor.object} scale factors need a working_point (Tight, wp90iso…)")]
    if factor.payload is not None:
        return []
    if era_name is None:
        return [(where, "give its payload, or an 'era:' for it")]
    if era is None:
        return []  # the era itself is reported
    use = era.uses.get(factor.object)
    if use is None:
        return [(where, f"era {era_name} has no {factor.object} scale factors: give its payload")]
    if factor.object == "muon" and factor.key not in use.keys:
        return [
            (
                (*where, "key"),
                f"is not a muon key of era {era_name}{did_you_mean(str(factor.key), use.keys)}",
            )
        ]
    if factor.key is not None and factor.object != "muon" and factor.key not in use.keys:
        return [((*where, "key"), f"is not a key of era {era_name}; keys: {', '.join(use.keys)}")]
    if factor.working_point is not None and factor.working_point not in use.working_points:
        return [
            (
                (*where, "working_point"),
                f"{factor.working_point!r} is not a working point of era {era_name}"
                + choices(factor.working_point, use.working_points, "working points"),
            )
        ]
    return []
