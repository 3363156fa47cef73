"""The YAML file of an analysis: pydantic models, loading, and error reporting.

The models carry the rules (schema first, like correctionlib and pyhf): a mistake in the
file is reported with the file, the line, the key path, what was given and what is
allowed, with a "did you mean" where a near spelling exists. Unknown keys are errors.

Top-level keys starting with ``x-`` are ignored: a place for YAML anchors (``&name``) that
the rest of the file reuses (``*name``).

Relative input paths in the file (``processor``, ``files``, ``lumimask``) are relative to
the YAML file itself, so a configuration runs the same from any working directory.

Example:
    >>> cfg = load_config("configs/dimuon_demo.yaml")  # doctest: +SKIP
    >>> cfg.datasets["DoubleMuon"].kind
    'data'
"""

from __future__ import annotations

import itertools
import re
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError, OpenCoffeaError
from .util import did_you_mean

__all__ = [
    "AnalysisConfig",
    "Axis",
    "CategoryAxis",
    "Dataset",
    "Execution",
    "GeneratedSample",
    "Histogram",
    "IntegerAxis",
    "Plot",
    "RegularAxis",
    "VariableAxis",
    "Yields",
    "load_config",
    "parse_config",
]

# Names the framework itself puts on every histogram; a user axis may not take them.
RESERVED_AXES = ("dataset", "systematic")
_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Model(BaseModel):
    """Base of every model: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


# ---------------------------------------------------------------------------- axes


class _AxisBase(_Model):
    name: Annotated[str, Field(pattern=_IDENTIFIER)]
    label: str | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_AXES:
            raise ValueError(f"the axis name {name!r} is reserved for the framework's own axis")
        return name


class RegularAxis(_AxisBase):
    """``{name: mass, bins: 100, start: 0.25, stop: 300, transform: log}``"""

    type: Literal["regular"] = "regular"
    bins: Annotated[int, Field(gt=0)]
    start: float
    stop: float
    transform: Literal["log", "sqrt"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RegularAxis:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop}) must be greater than start ({self.start})")
        if self.transform == "log" and self.start <= 0:
            raise ValueError(f"a log axis needs start > 0, got {self.start}")
        return self


class VariableAxis(_AxisBase):
    """``{name: pt, edges: [0, 10, 20, 50, 100]}``"""

    type: Literal["variable"] = "variable"
    edges: Annotated[list[float], Field(min_length=2)]

    @field_validator("edges")
    @classmethod
    def _increasing(cls, edges: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError("edges must be strictly increasing")
        return edges


class IntegerAxis(_AxisBase):
    """``{name: njets, type: integer, start: 0, stop: 10}`` (one bin per integer)"""

    type: Literal["integer"] = "integer"
    start: int
    stop: int

    @model_validator(mode="after")
    def _ordered(self) -> IntegerAxis:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop}) must be greater than start ({self.start})")
        return self


class CategoryAxis(_AxisBase):
    """``{name: channel, categories: [4mu, 4e, 2e2mu]}`` (string categories)"""

    type: Literal["category"] = "category"
    categories: Annotated[list[str], Field(min_length=1)]
    growth: bool = False


def _infer_axis_type(value: Any) -> Any:
    """Let ``type:`` be omitted where the keys say it: edges → variable, categories → category."""
    if isinstance(value, dict) and "type" not in value:
        if "edges" in value:
            return {**value, "type": "variable"}
        if "categories" in value:
            return {**value, "type": "category"}
        return {**value, "type": "regular"}
    return value


Axis = Annotated[
    RegularAxis | VariableAxis | IntegerAxis | CategoryAxis,
    Field(discriminator="type"),
]


class Histogram(_Model):
    """A histogram to book: its axes; the framework adds the dataset and systematic axes."""

    axes: Annotated[list[Axis], Field(min_length=1)]
    label: str | None = None

    @field_validator("axes", mode="before")
    @classmethod
    def _axis_types(cls, axes: Any) -> Any:
        return [_infer_axis_type(a) for a in axes] if isinstance(axes, list) else axes

    @field_validator("axes")
    @classmethod
    def _unique_names(cls, axes: list[Any]) -> list[Any]:
        names = [a.name for a in axes]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"axis names must be unique, repeated: {', '.join(duplicated)}")
        return axes


# ---------------------------------------------------------------------------- datasets


class PortalRef(_Model):
    """A file or record on the CERN Open Data portal, e.g. ``{record: 14220}``."""

    record: Annotated[int, Field(gt=0)]


class GeneratedSample(_Model):
    """A synthetic sample the framework writes itself (see :mod:`opencoffea.samples`).

    ``{process: dy_mumu, events: 100000, seed: 1}``: generated once into the cache and reused.
    """

    process: str
    events: Annotated[int, Field(gt=0)]
    seed: Annotated[int, Field(ge=0)] = 0
    format: Literal["nanoaod", "outreach"] = "nanoaod"
    compression: Literal["lzma", "zstd", "lz4", "zlib", "none"] = "lzma"
    files: Annotated[int, Field(gt=0)] = 1

    @field_validator("process")
    @classmethod
    def _known(cls, process: str) -> str:
        from .samples import PROCESSES

        if process not in PROCESSES:
            raise ValueError(
                f"unknown process {process!r}"
                + did_you_mean(process, PROCESSES)
                + f"; allowed: {', '.join(PROCESSES)}"
            )
        return process


class Dataset(_Model):
    """One dataset: where its files are, whether it is data or simulation, how to normalise it."""

    files: list[str] | None = None
    record: Annotated[int | None, Field(gt=0)] = None
    # one synthetic sample, or several whose files together make the dataset (a mixture)
    generate: GeneratedSample | list[GeneratedSample] | None = None
    treename: str | None = None
    kind: Literal["data", "mc"]
    xsec: Annotated[float | None, Field(gt=0)] = None
    scale: Annotated[float, Field(gt=0)] = 1.0
    group: str | None = None
    era: str | None = None
    # a golden JSON (path or portal record); false: none, even if the record names one
    lumimask: str | PortalRef | Literal[False] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    # Pre-made histograms instead of events: histogram → path in the files, or
    # histogram → {category axis → {value → path}} (see opencoffea.datasets.premade).
    read: dict[str, str | dict[str, dict[str, str]]] | None = None
    # Σw to normalise with, where the files cannot tell (pre-made histograms: the number
    # of generated events); otherwise Σ genEventSumw of the Runs trees.
    sumw: Annotated[float | None, Field(gt=0)] = None
    luminosity: Annotated[float | None, Field(gt=0)] = None  # pb^-1, if not the analysis's
    pick: list[str] | None = None  # file-name globs selecting some files of a record

    @field_validator("files", mode="before")
    @classmethod
    def _one_file_is_a_list(cls, files: Any) -> Any:
        return [files] if isinstance(files, str) else files

    @model_validator(mode="after")
    def _consistent(self) -> Dataset:
        sources = [s for s in ("files", "record", "generate") if getattr(self, s) is not None]
        if len(sources) != 1:
            raise ValueError(
                "give exactly one source: 'files' (paths or globs), 'record' (a CERN Open "
                "Data portal record) or 'generate' (a synthetic sample); "
                f"given: {', '.join(sources) or 'none'}"
            )
        if self.pick is not None and self.record is None:
            raise ValueError("'pick' selects files of a 'record'; list 'files' directly instead")
        if self.read is not None and self.generate is not None:
            raise ValueError("'read' takes histograms from files; a generated sample has events")
        if self.kind == "data":
            for key in ("xsec", "sumw", "luminosity"):
                if getattr(self, key) is not None:
                    raise ValueError(f"'{key}' is for simulation; data is never scaled")
            if self.scale != 1.0:
                raise ValueError("'scale' is for simulation; data is never scaled")
        else:
            if self.xsec is None:
                raise ValueError("simulation needs 'xsec' (pb) to be normalised")
            if self.read is not None and self.sumw is None:
                raise ValueError(
                    "pre-made histograms carry no Σw: give 'sumw' (the number of generated "
                    "events, or their Σ weights) to normalise them"
                )
            if self.lumimask is not None:
                raise ValueError("'lumimask' is for data; simulation has no lumi sections to mask")
        return self


# ---------------------------------------------------------------------------- plots


LegendLocation = Literal[
    "best",
    "upper right",
    "upper left",
    "lower left",
    "lower right",
    "right",
    "center left",
    "center right",
    "lower center",
    "upper center",
    "center",
]


class Plot(_Model):
    """A stacked data/simulation figure of one histogram (drawn by :mod:`opencoffea.plotting`).

    ``stack`` groups are filled and stacked in the order given (the first at the bottom);
    each ``signal`` group is a line on top of the whole stack; ``data`` is one group, drawn
    as black points with Poisson error bars. ``select`` picks one value of a category axis
    (``{channel: 4mu}``); category axes not selected are summed over. ``colors`` takes any
    matplotlib colour or a ROOT colour name (``kAzure-9``); ``labels`` the legend text of a
    group (mathtext allowed).

    Example:
        >>> Plot(stack=["ZZ"], signal=["H"], data="Data", ratio=True).ratio_ylim
        (0.0, 2.0)
    """

    histogram: str | None = None  # defaults to the plot's own name
    stack: list[str] = Field(default_factory=list)
    signal: list[str] = Field(default_factory=list)
    data: str | None = None
    label: str = "CMS Open Data"
    lumi_label: str | None = None
    xlabel: str | None = None
    ylabel: str | None = None
    logx: bool = False
    logy: bool = False
    ratio: bool = False
    colors: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)  # group → legend text (mathtext)
    select: dict[str, str] = Field(default_factory=dict)  # category axis → value
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    ratio_ylim: tuple[float, float] = (0.0, 2.0)
    legend: LegendLocation = "upper right"

    @model_validator(mode="after")
    def _consistent(self) -> Plot:
        drawn = [*self.stack, *self.signal, *([self.data] if self.data else [])]
        twice = sorted({group for group in drawn if drawn.count(group) > 1})
        if twice:
            raise ValueError(
                f"each group is drawn once; listed more than once in stack, signal and "
                f"data: {', '.join(map(repr, twice))}"
            )
        if not drawn:
            raise ValueError("nothing to draw: give 'stack', 'signal' or 'data' groups")
        if self.ratio and (self.data is None or not (self.stack or self.signal)):
            raise ValueError("'ratio' needs 'data' and at least one 'stack' or 'signal' group")
        for key in ("xlim", "ylim", "ratio_ylim"):
            limits = getattr(self, key)
            if limits is not None and limits[1] <= limits[0]:
                raise ValueError(f"'{key}': the upper limit must be above the lower one")
        for key, log in (("xlim", self.logx), ("ylim", self.logy)):
            limits = getattr(self, key)
            if log and limits is not None and limits[0] <= 0:
                raise ValueError(f"'{key}' of a log axis must start above 0")
        return self


class Yields(_Model):
    """The yields table (``opencoffea yields``) and a reference table to compare it with.

    ``histogram`` (default: the first plotted one) is the histogram the yields are taken
    from; ``reference`` is ``{group: {category: [value, error]}}`` (a bare number: no
    error), where a category is a value of the histogram's first category axis, or
    ``combined`` for the sum over it.

    Example:
        >>> Yields(reference={"Data": {"4mu": 13, "combined": [40, 6.3]}}).reference["Data"]
        {'4mu': 13.0, 'combined': (40.0, 6.3)}
    """

    histogram: str | None = None
    reference: dict[str, dict[str, float | tuple[float, float]]] = Field(default_factory=dict)


# ---------------------------------------------------------------------------- corrections


class JetCorrectionsConfig(_Model):
    """Jet energy corrections: the payload (relative to ``corrections.payloads`` or this
    file) and the keys; JER keys optional; JES ``sources`` for the uncertainty variations.
    With an ``era:``, the payload and keys not given are the era's in the manifest."""

    payload: str | None = None
    mc_jec: str | None = None
    data_jec: list[tuple[int, int, str]] = Field(default_factory=list)
    uncertainty: str | None = None
    jer_resolution: str | None = None
    jer_scale_factor: str | None = None
    sources: list[str] = Field(default_factory=lambda: ["Total"])
    met: bool = True  # recompute type-1 MET from the corrected jets
    unclustered: bool = True  # MET unclustered-energy variations (simulation)


class PileupConfig(_Model):
    """Pileup weights of simulation: the LUM payload and key (the era's, if not given)."""

    payload: str | None = None
    key: str | None = None


# The systematics a config may ask for, besides its scale factors (each by its name):
# jes (every source of corrections.jets.sources), jer, unclustered (MET), pileup and egamma
# (the scale and smearing of corrections.electrons/photons); nominal is always there.
SYSTEMATICS = ("jes", "jer", "unclustered", "pileup", "egamma")


class EnergyConfig(_Model):
    """e/γ energy scale and smearing of one collection (``electrons:`` or ``photons:``).

    Run 2 NanoAOD has them applied already (``Electron_eCorr``): give ``{}`` and the
    variations stored in the file are used. Run 3 NanoAOD: the EGM payload, its ``scale``
    key (applied to data) and ``smear`` key (applied to simulation, with the scale
    uncertainty where that payload keeps it).
    """

    payload: str | None = None
    scale: str | None = None
    smear: str | None = None


class ScaleFactorConfig(_Model):
    """An object scale factor the processor applies with ``out.scale_factor(name, objects)``.

    ``muon``: a ``key`` of MUO's muon_Z payload; ``electron``/``photon``: a
    ``working_point`` of EGM's ID payload (``key`` defaults to the era's). ``payload`` and
    ``year`` default to the era's.
    """

    object: Literal["muon", "electron", "photon"]
    key: str | None = None
    working_point: str | None = None
    payload: str | None = None
    year: str | None = None


class Corrections(_Model):
    """What to correct, from which payloads; ``payloads`` is the root relative paths use."""

    payloads: str | None = None
    jets: JetCorrectionsConfig | None = None
    pileup: PileupConfig | None = None
    electrons: EnergyConfig | None = None
    photons: EnergyConfig | None = None
    scale_factors: dict[str, ScaleFactorConfig] = Field(default_factory=dict)

    @field_validator("scale_factors")
    @classmethod
    def _named_like_systematics(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not re.match(_IDENTIFIER, name) or name in SYSTEMATICS:
                raise ValueError(
                    f"{name!r}: a scale factor's name is its systematic's; use letters, digits "
                    f"and '_', and none of {', '.join(SYSTEMATICS)}"
                )
        return value


# ---------------------------------------------------------------------------- execution


class Execution(_Model):
    """How to run: executor, workers, chunking."""

    executor: Literal["iterative", "futures", "dask"] = "iterative"
    workers: Annotated[int, Field(gt=0)] = 1
    scheduler: str | None = None
    chunksize: Annotated[int, Field(gt=0)] = 100_000
    max_chunks: Annotated[int | None, Field(gt=0)] = None

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> Execution:
        if self.scheduler is not None and self.executor != "dask":
            raise ValueError("'scheduler' is only used by the dask executor")
        return self


# ---------------------------------------------------------------------------- the file


class AnalysisConfig(_Model):
    """The whole YAML file of one analysis."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")]
    # needed where a dataset has events; an analysis of pre-made histograms has none
    processor: Annotated[str | None, Field(pattern=r"^[^:]+:[A-Za-z_][A-Za-z0-9_]*$")] = None
    luminosity: Annotated[float | None, Field(gt=0)] = None  # pb^-1
    portal: str | None = None
    # how record files are read: HTTPS from the portal's server (default: needs nothing
    # more than uproot), or XRootD from eospublic (needs the fsspec-xrootd extra)
    protocol: Literal["https", "root"] = "https"
    datasets: Annotated[dict[str, Dataset], Field(min_length=1)]
    histograms: dict[str, Histogram] = Field(default_factory=dict)
    plots: dict[str, Plot] = Field(default_factory=dict)
    execution: Execution = Field(default_factory=Execution)
    output: str | None = None
    yields: Yields | None = None
    era: str | None = None
    corrections: Corrections | None = None
    # the variations to produce: the names of SYSTEMATICS and of corrections.scale_factors
    systematics: list[str] = Field(default_factory=list)

    # Set by the loader, not by the file: where the file was, to resolve relative paths.
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("datasets", "histograms")
    @classmethod
    def _identifier_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.match(r"^[A-Za-z0-9_.\-]+$", key):
                raise ValueError(f"{key!r}: use letters, digits, '_', '-' and '.' only")
        return value

    def cross_check(self) -> list[tuple[tuple, str]]:
        """Mistakes between parts of the file, as (key path, message) pairs.

        These need the whole file, so they are checked after each part is valid.
        """
        problems: list[tuple[tuple, str]] = []
        if self.processor is None and self.event_datasets():
            problems.append(((), "'processor' is needed: datasets with events are analysed by it"))
        if any(
            d.kind == "mc" and not (d.luminosity or self.luminosity) for d in self.datasets.values()
        ):
            problems.append(((), "'luminosity' (pb^-1) is needed to normalise the simulation"))
        for name, spec in self.datasets.items():
            problems += self._check_read(name, spec)
        problems += self._check_corrections()
        groups = {d.group or name for name, d in self.datasets.items()}
        for name, plot in self.plots.items():
            histogram = plot.histogram or name
            if histogram not in self.histograms:
                key = ("plots", name, "histogram") if plot.histogram else ("plots", name)
                problems.append(
                    (
                        key,
                        f"names histogram {histogram!r}, which is not booked"
                        + did_you_mean(histogram, self.histograms),
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

    def _check_read(self, name: str, spec: Dataset) -> list[tuple[tuple, str]]:
        """``read:`` must name booked histograms, their category axes and values."""
        problems = []
        for histogram, where in (spec.read or {}).items():
            key = ("datasets", name, "read", histogram)
            if histogram not in self.histograms:
                problems.append(
                    (key, "is not a booked histogram" + did_you_mean(histogram, self.histograms))
                )
                continue
            categories = {
                a.name: a.categories
                for a in self.histograms[histogram].axes
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
                            "is not a category axis of this histogram"
                            + did_you_mean(axis, categories),
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

    def _check_corrections(self) -> list[tuple[tuple, str]]:
        """Corrections and systematics that cannot work, or would be a silent no-op."""
        corrections = self.corrections or Corrections()
        problems = self._check_systematics(corrections)
        era = None
        if self.era is not None and corrections != Corrections():
            from .corrections.manifest import load_manifest

            try:
                era = load_manifest().era(self.era)
            except OpenCoffeaError as err:
                problems.append((("era",), str(err)))
        for part in ("jets", "pileup"):
            given = getattr(corrections, part)
            if given is not None and self.era is None and given.payload is None:
                problems.append(
                    (("corrections", part), "give its payload and keys, or an 'era:' for them")
                )
        kinds = {d.kind for d in self.datasets.values() if d.read is None}
        problems += _check_jet_keys(corrections.jets, kinds, era=self.era)
        for part in ("electrons", "photons"):
            problems += _check_energy(part, getattr(corrections, part), kinds)
        for name, factor in corrections.scale_factors.items():
            problems += _check_scale_factor(name, factor, self.era, era)
        return problems

    def _check_systematics(self, corrections: Corrections) -> list[tuple[tuple, str]]:
        """A systematic needs the correction it varies: a silent no-op would be wrong."""
        needs = {"jes": "jets", "jer": "jets", "unclustered": "jets", "pileup": "pileup"}
        known = [*SYSTEMATICS, *corrections.scale_factors]
        problems = []
        for index, name in enumerate(self.systematics):
            key = ("systematics", index)
            if name not in known:
                problems.append(
                    (
                        key,
                        f"unknown systematic {name!r}{did_you_mean(name, known)}; known: "
                        + ", ".join(known),
                    )
                )
            elif name in self.systematics[:index]:
                problems.append((key, f"{name!r} is given twice"))
            elif name == "egamma":
                if corrections.electrons is None and corrections.photons is None:
                    problems.append((key, "'egamma' needs corrections.electrons or .photons"))
            elif name not in needs:
                continue  # a scale factor of corrections.scale_factors
            elif getattr(corrections, needs[name]) is None:
                problems.append((key, f"{name!r} needs corrections.{needs[name]}"))
            elif self.era is not None:
                continue  # the era's keys, from the manifest
            elif name == "jes" and not corrections.jets.uncertainty:
                problems.append((key, "'jes' needs corrections.jets.uncertainty"))
            elif name == "jer" and not corrections.jets.jer_resolution:
                problems.append((key, "'jer' needs the JER keys of corrections.jets"))
        return problems

    def event_datasets(self) -> list[str]:
        """The datasets whose input is events (not pre-made histograms)."""
        return [name for name, d in self.datasets.items() if d.read is None]

    def base_dir(self) -> Path:
        """The directory relative input paths are resolved against (the YAML file's)."""
        return self.source.parent if self.source is not None else Path.cwd()

    def resolve(self, path: str) -> Path:
        """An input path from the file, made absolute (URLs are left to the caller)."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir() / p).resolve()

    def group_of(self, dataset: str) -> str:
        """The plot group of a dataset (its own name when it has none)."""
        return self.datasets[dataset].group or dataset

    def output_dir(self) -> Path:
        """Where the results of this analysis go (``results/<name>`` by default)."""
        return Path(self.output) if self.output else Path("results") / self.name


# ---------------------------------------------------------------------------- corrections checks
# JME spells the kind of sample in its keys (Summer19UL16_V7_MC_..., ..._RunFGH_V7_DATA_...):
# a key of the wrong kind would correct data as simulation, or the reverse, without a sound.


def _check_jet_keys(
    jets: JetCorrectionsConfig | None, kinds: set[str], *, era: str | None
) -> list[tuple[tuple, str]]:
    if jets is None:
        return []
    where = ("corrections", "jets")
    problems = []
    if jets.mc_jec and "_DATA_" in jets.mc_jec:
        problems.append(((*where, "mc_jec"), "is a data key (_DATA_): simulation takes an MC key"))
    for index, (first, last, key) in enumerate(jets.data_jec):
        if "_MC_" in key:
            problems.append(
                ((*where, "data_jec", index), f"{key} is an MC key: data takes a _DATA_ key")
            )
        if first > last:
            problems.append(((*where, "data_jec", index), f"run range {first}-{last} is empty"))
    for name in ("uncertainty", "jer_resolution", "jer_scale_factor"):
        key = getattr(jets, name)
        if key and "_DATA_" in key:
            problems.append(
                ((*where, name), f"{key} is a data key: JES and JER vary simulation (an MC key)")
            )
    if era is None and not jets.data_jec and "data" in kinds:
        problems.append(((*where, "data_jec"), "data datasets need the data JEC keys by run"))
    return problems


def _check_energy(part: str, energy: EnergyConfig | None, kinds: set[str]) -> list[tuple]:
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
    problems = []
    if "data" in kinds and not energy.scale:
        problems.append((where, "data datasets need 'scale', the key of the data energy scale"))
    if "mc" in kinds and not energy.smear:
        problems.append((where, "simulated datasets need 'smear', the key of the smearing"))
    return problems


def _check_scale_factor(
    name: str, factor: ScaleFactorConfig, era_name: str | None, era: Any
) -> list[tuple[tuple, str]]:
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
                f"is not a muon key of era {era_name}{did_you_mean(factor.key, use.keys)}",
            )
        ]
    if factor.key is not None and factor.object != "muon" and factor.key not in use.keys:
        return [((*where, "key"), f"is not a key of era {era_name}; keys: {', '.join(use.keys)}")]
    if factor.working_point is not None and factor.working_point not in use.working_points:
        return [
            (
                (*where, "working_point"),
                f"{factor.working_point!r} is not a working point of era {era_name}"
                + did_you_mean(factor.working_point, use.working_points)
                + f"; working points: {', '.join(use.working_points)}",
            )
        ]
    return []


# ---------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> AnalysisConfig:
    """Read and validate a YAML analysis file.

    Raises :class:`ConfigError` naming the file, line and key for every mistake found.

    Example:
        >>> cfg = load_config("configs/dimuon_demo.yaml")  # doctest: +SKIP
        >>> sorted(cfg.histograms)
        ['mass']
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (IsADirectoryError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read as a YAML text file ({err})") from None
    return parse_config(text, source=path)


def parse_config(text: str, source: str | Path = "<string>") -> AnalysisConfig:
    """Validate YAML text as an analysis configuration (see :func:`load_config`).

    Example:
        >>> cfg = parse_config('''
        ... name: demo
        ... processor: analyses/dimuon.py:DimuonSpectrum
        ... datasets: {d: {files: [x.root], kind: data}}
        ... ''')
        >>> cfg.execution.executor
        'iterative'
    """
    data, lines = _load_yaml(text, str(source))
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the file must be a mapping of keys (name:, processor:, ...)")
    # Top-level keys starting with "x-" are the file's own (a place for YAML anchors to be
    # reused below, as in docker-compose): not configuration, so not validated.
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    try:
        config = AnalysisConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(err, data, lines, str(source))) from None
    problems = [
        f"{source}, line {_nearest_line(path, lines)}, "
        f"{'.'.join(map(str, path)) or '(top level)'}: {msg}"
        for path, msg in config.cross_check()
    ]
    if problems:
        raise ConfigError(_join(problems))
    if source != "<string>":
        config.source = Path(source).resolve()
    return config


def _load_yaml(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """Safe-load YAML and remember the line of every key path (for error messages)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{where}: not valid YAML: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, (), lines, source)
    return data, lines


def _index_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int], source: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                line = key_node.start_mark.line + 1
                where = ".".join(map(str, (*path, key)))
                raise ConfigError(f"{source}, line {line}, {where}: key given twice")
            seen.add(key)
            _index_lines(value_node, (*path, key), lines, source)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, source)


def _data_path(data: Any, loc: Iterable[Any], names_a_key: bool) -> tuple:
    """The part of a pydantic error location that is a real path in the data.

    Pydantic puts union tags and validator names into ``loc``; they are not keys of the file.
    ``names_a_key``: the error is about a key that is missing or unknown, so the last
    element of the location is a key even though the data does not have it.
    """
    path: list[Any] = []
    node = data
    parts = list(loc)
    for index, part in enumerate(parts):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif names_a_key and isinstance(node, dict) and index == len(parts) - 1:
            path.append(part)  # a missing or unknown key: the last element of the location
            break
        else:
            continue  # a union tag or validator name, not a key of the file
        path.append(part)
    return tuple(path)


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The model that owns the mapping at ``path`` (to list the keys allowed there)."""
    model: Any = AnalysisConfig
    keyed = False  # the next path part is a key of a dict (a dataset name, say), not a field
    for part in path:
        if keyed or isinstance(part, int):
            keyed = False
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return None
        keyed = typing.get_origin(_unwrap(field.annotation)) is dict
        model = _inner_model(field.annotation)
    return model


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(err: ValidationError, data: Any, lines: dict[tuple, int], source: str) -> str:
    """Turn pydantic's errors into one line each: file, line, key path, problem, what is allowed."""
    messages = []
    for item in err.errors(include_url=False):
        path = _data_path(data, item["loc"], item["type"] in ("missing", "extra_forbidden"))
        line = _nearest_line(path, lines)
        where = ".".join(map(str, path)) or "(top level)"
        messages.append(f"{source}, line {line}, {where}: {_explain(item, path)}")
    return _join(messages)


def _join(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    head = f"{len(unique)} problems in the configuration:\n" if len(unique) > 1 else ""
    return head + "\n".join(unique)


def _nearest_line(path: tuple, lines: dict[tuple, int]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _explain(item: dict[str, Any], path: tuple) -> str:
    kind = item["type"]
    given = item.get("input")
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = _allowed_keys(path[:-1])
        return (
            f"unknown key {key!r}"
            + did_you_mean(str(key), allowed)
            + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        )
    if kind == "missing":
        return "this key is required"
    if kind in ("literal_error", "union_tag_invalid"):
        ctx = item.get("ctx", {})
        expected = ctx.get("expected", "") or ctx.get("expected_tags", "")
        options = re.findall(r"'([^']*)'", expected)
        shown = given.get("type") if isinstance(given, dict) else given
        return (
            f"{shown!r} is not allowed"
            + did_you_mean(str(shown), options)
            + f"; allowed: {', '.join(options) or expected}"
        )
    message = item["msg"].removeprefix("Value error, ")
    if given is not None and not isinstance(given, (dict, list)):
        return f"{message} (given: {given!r})"
    return message


def _allowed_keys(path: tuple) -> list[str]:
    model = _model_at(path)
    if model is None:
        return []
    return [name for name, f in model.model_fields.items() if not f.exclude]
