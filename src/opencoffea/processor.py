"""The Processor base class: the one place where the per-chunk steps meet.

A subclass writes physics in one method, :meth:`Processor.analyze`; the base class does
the rest for every chunk: it books the histograms of the YAML file, applies the data's
luminosity mask, sets the event weights, hands the events and an ``out``
(:class:`~opencoffea.recorder.Recorder`) to ``analyze``, and returns an
:class:`~opencoffea.output.Output` that adds up with the other chunks'. It also finds the
subclass a YAML file names (:func:`load_processor`) and the analysis files a subclass
builds on (:func:`import_analysis`).

Example:
    >>> import awkward as ak
    >>> class Dimuon(Processor):
    ...     def analyze(self, events, out):
    ...         out.cut("two muons", ak.num(events.Muon) == 2)
    ...         mu = out.select(events.Muon)
    ...         out.fill("mass", mass=(mu[:, 0] + mu[:, 1]).mass)
"""

from __future__ import annotations

import abc
import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import awkward as ak
import cloudpickle
import numpy as np
from coffea.processor import ProcessorABC

from .config import AnalysisConfig
from .datasets.lumis import LumiSections
from .errors import ProcessorLoadError
from .events import NanoEvents
from .histograms import book
from .output import FileTally, Output
from .recorder import Recorder
from .util import did_you_mean

if TYPE_CHECKING:  # corrections and lumi masks load only for a configuration that has them
    from coffea.lumi_tools import LumiMask

    from .corrections.apply import Corrector

__all__ = ["Processor", "import_analysis", "load_processor"]


class Processor(ProcessorABC):
    """Base class of an analysis: subclass it and implement :meth:`analyze`.

    The subclass never opens files, normalises, or loops over variations; ``self.config``
    is the validated YAML file should the physics need a setting from it.

    Example:
        >>> class Nothing(Processor):
        ...     def analyze(self, events, out):
        ...         pass
        >>> inspect.isabstract(Nothing), inspect.isabstract(Processor)
        (False, True)
    """

    def __init__(
        self, config: AnalysisConfig, *, lumimasks: Mapping[str, LumiMask] | None = None
    ) -> None:
        self.config = config
        # Certified-luminosity masks of data datasets, loaded by the framework in the main
        # process (a worker needs neither the JSON file nor the portal).
        self.lumimasks = dict(lumimasks or {})
        # Built here, in the main process, so that a missing payload is an error before any
        # chunk runs; it holds paths and keys, the payloads load once in each worker.
        self.corrector: Corrector | None = None  # execution records its provenance
        if config.corrections is not None:
            from .corrections.apply import Corrector

            self.corrector = Corrector(config)

    # -- what a subclass writes

    @abc.abstractmethod
    def analyze(self, events: NanoEvents, out: Recorder) -> None:
        """The physics of one chunk: select with ``out.cut``, fill with ``out.fill``.

        Abstract: a subclass without it cannot be made, and :func:`load_processor` says so
        before any chunk runs.
        """

    # -- the machinery (coffea's ProcessorABC interface)

    def new_output(self) -> Output:
        """An empty output with every histogram booked (also the result of no input).

        Example:
            >>> from opencoffea import load_config
            >>> config = load_config("configs/dimuon_demo.yaml")
            >>> output = load_processor(config)(config).new_output()
            >>> sorted(output.histograms), output.cutflows
            (['mass', 'pt'], {})
        """
        return Output(histograms=book(self.config.histograms))

    def process(self, events: NanoEvents) -> Output:
        """Run one chunk: tally what was read, mask data, weight MC, call :meth:`analyze`.

        ``events.metadata`` names the dataset (of the configuration) and the file.

        Example:
            >>> from opencoffea import load_config
            >>> from opencoffea.events import describe, events_from, open_file
            >>> config = load_config("configs/dimuon_demo.yaml")
            >>> with open_file(nano_dy) as file:  # 40 Drell-Yan events, as one chunk
            ...     chunk = events_from(file, describe(file, nano_dy),
            ...                         metadata={"dataset": "Dimuon_simulation"})
            ...     output = load_processor(config)(config).process(chunk)
            >>> cutflow = output.cutflows["Dimuon_simulation"].as_list()
            >>> [(cut["cut"], cut["events"]) for cut in cutflow]
            [('all events', 40), ('two muons', 6), ('opposite charge', 6)]
            >>> output.files[nano_dy].events
            40
        """
        meta = events.metadata
        dataset = meta["dataset"]
        spec = self.config.datasets[dataset]
        output = self.new_output()
        is_data = spec.kind == "data"

        weights = np.ones(len(events)) if is_data else _gen_weights(events)
        output.files[meta["filename"]] = FileTally(
            events=len(events), sumw=float(weights.sum()), sumw2=float((weights**2).sum())
        )
        certified = None
        if is_data:
            runs = ak.to_numpy(events.run)
            lumis = ak.to_numpy(events.luminosityBlock)
            mask = self.lumimasks.get(dataset)
            if mask is not None:
                certified = mask(runs, lumis)
                runs, lumis = runs[certified], lumis[certified]
            output.lumis[dataset] = LumiSections.from_events(runs, lumis)

        # Corrections (on the whole chunk), then the user's method once per shape variation;
        # weight variations are filled by the nominal pass, the cutflow too.
        variants: Mapping[str, NanoEvents] = {"nominal": events}
        ratios: dict[str, np.ndarray] = {}
        scale_factors = None
        if self.corrector is not None:
            applied = self.corrector.apply(events, is_data=is_data)
            variants = applied.events
            if applied.notes:
                output.notes[dataset] = frozenset(applied.notes)
            if self.corrector.scale_factors:
                scale_factors = self.corrector.scale_factor
            for weight in applied.weights:
                weights = weights * weight.nominal
                if weight.varied and weight.name in self.config.systematics:
                    ratios[f"{weight.name}Up"] = weight.ratio("up")
                    ratios[f"{weight.name}Down"] = weight.ratio("down")
        metadata = {**spec.metadata, "era": spec.era, "group": self.config.group_of(dataset)}
        for name, variant in variants.items():
            nominal = name == "nominal"
            out = Recorder(
                output,
                dataset,
                weights,
                systematic=name,
                is_data=is_data,
                metadata=metadata,
                record_cutflow=nominal,
                weight_variations=ratios if nominal else None,
                scale_factors=scale_factors,
            )
            if certified is not None:
                out.cut("lumi mask", certified)
            self.analyze(variant, out)
        return output

    def postprocess(self, accumulator: Output) -> Output:
        """A hook after all chunks are merged; the base class returns the output as it is.

        Example:
            >>> from opencoffea import load_config
            >>> config = load_config("configs/dimuon_demo.yaml")
            >>> processor = load_processor(config)(config)
            >>> merged = processor.new_output() + processor.new_output()
            >>> processor.postprocess(merged) is merged
            True
        """
        return accumulator


def _gen_weights(events: NanoEvents) -> np.ndarray:
    """The generator weight of each simulated event (1 where the file has none)."""
    if "genWeight" in events.fields:
        return ak.to_numpy(events.genWeight).astype(np.float64)
    return np.ones(len(events))


def load_processor(config: AnalysisConfig) -> type[Processor]:
    """The Processor subclass named by ``processor:`` (``file.py:Class`` or ``module:Class``).

    A class from a file is imported under a private module name and registered with
    cloudpickle to travel *by value*, so dask workers that have no copy of the file can
    still run it.

    Example:
        >>> from opencoffea import load_config
        >>> load_processor(load_config("configs/dimuon_demo.yaml")).__name__
        'DimuonSpectrum'
    """
    where = f"{config.source or '<config>'}, processor"
    if config.processor is None:
        raise ProcessorLoadError(f"{where}: none is named (processor: file.py:Class)")
    target, _, name = config.processor.rpartition(":")
    if target.endswith(".py") or "/" in target or "\\" in target:
        module = _import_file(config.resolve(target), where)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as err:
            raise ProcessorLoadError(f"{where}: cannot import module {target!r}: {err}") from None
    cls = getattr(module, name, None)
    if cls is None:
        classes = [k for k, v in vars(module).items() if isinstance(v, type)]
        hint = did_you_mean(name, classes)
        raise ProcessorLoadError(f"{where}: {target} has no class {name!r}{hint}")
    if not (isinstance(cls, type) and issubclass(cls, Processor)):
        raise ProcessorLoadError(
            f"{where}: {name} must be a subclass of opencoffea.Processor, it is {cls!r}"
        )
    if inspect.isabstract(cls):
        missing = ", ".join(f"{m}()" for m in sorted(cls.__abstractmethods__))
        raise ProcessorLoadError(
            f"{where}: {name} in {getattr(module, '__file__', None) or target} does not "
            f"define {missing}; a processor writes its physics in analyze(self, events, out)"
        )
    return cls


def import_analysis(path: str | Path) -> ModuleType:
    """The module of an analysis file, imported as ``processor:`` imports one.

    For an analysis that builds on another file (``analyses/higgs4l_df103.py`` on
    ``higgs4l.py``): each file is imported once, under a private name, and travels to
    dask workers by value like the processor itself, so workers need no copy of it.

    Example:
        >>> higgs4l = import_analysis("analyses/higgs4l.py")  # in higgs4l_df103.py, say
        >>> higgs4l.CHANNELS, import_analysis("analyses/./higgs4l.py") is higgs4l
        (('4mu', '4e', '2e2mu'), True)
    """
    return _import_file(Path(path), "import_analysis")


def _import_file(path: Path, where: str) -> ModuleType:
    if not path.is_file():
        raise ProcessorLoadError(f"{where}: no such file {path}")
    # one module per file, however the path to it is spelled
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"opencoffea_analysis_{stem}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ProcessorLoadError(f"{where}: {path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        del sys.modules[module_name]
        raise ProcessorLoadError(f"{path}, line {err.lineno}: {err.msg}") from None
    except ProcessorLoadError:  # a file it imports with import_analysis: that file's error
        del sys.modules[module_name]
        raise
    except Exception as err:
        del sys.modules[module_name]
        frame = traceback.extract_tb(err.__traceback__)[-1]
        raise ProcessorLoadError(
            f"{path}: importing it failed at {frame.filename}, line {frame.lineno}: "
            f"{type(err).__name__}: {err}"
        ) from None
    cloudpickle.register_pickle_by_value(module)
    return module
