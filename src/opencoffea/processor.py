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
import sysconfig
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import awkward as ak
import cloudpickle
import numpy as np
from coffea.processor import ProcessorABC

from .config import AnalysisConfig
from .datasets.lumis import LumiSections
from .errors import ConfigError, ProcessorLoadError
from .events import NanoEvents
from .histograms import book
from .output import FileTally, Output
from .recorder import Recorder
from .util import did_you_mean, sha256_of

if TYPE_CHECKING:  # corrections and lumi masks load only for a configuration that has them
    from coffea.lumi_tools import LumiMask

    from .corrections.apply import Corrector

__all__ = ["Processor", "import_analysis", "load_processor", "processor_spec"]


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
                events=events,  # where out.mark finds each event's file, entry and IDs
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


def load_processor(
    config: AnalysisConfig, processor: type[Processor] | str | None = None
) -> type[Processor]:
    """The Processor subclass of a run: ``processor`` if given, else the config's ``processor:``.

    ``processor`` is a class (written in a notebook cell, a script or a test) or a string,
    ``file.py:Class`` (a relative path from the working directory) or ``module:Class``; the
    YAML's ``processor:`` is the same string, a path relative to the YAML file. Either way the
    class must be a concrete subclass of :class:`Processor`.

    The class must reach worker processes that may have no copy of its code: a class of a
    file is imported under a private module name registered with cloudpickle to travel *by
    value*; a class given as itself travels by value too, unless it is the framework's or
    an installed package's (workers import those); cloudpickle sends ``__main__``'s classes
    by value itself. A file is imported again when it has changed since (by its content, and
    that of the files it imports with :func:`import_analysis`), so an edited processor is
    the one that runs.

    Example:
        >>> from opencoffea import load_config
        >>> config = load_config("configs/dimuon_demo.yaml")
        >>> load_processor(config).__name__
        'DimuonSpectrum'
        >>> load_processor(config, "analyses/higgs4l.py:HiggsToFourLeptons").__name__
        'HiggsToFourLeptons'
        >>> class Nothing(Processor):
        ...     def analyze(self, events, out):
        ...         pass
        >>> load_processor(config, Nothing) is Nothing
        True
        >>> load_processor(config.model_copy(update={"processor": None}))
        ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.ConfigError: .../configs/dimuon_demo.yaml: 'processor' is needed to run
        datasets with events: name the class in the file (processor: file.py:Class) or give it to
        opencoffea.run(config, MyProcessor)
    """
    if processor is None:
        source = config.source or "<config>"
        where = f"{source}, processor"
        if config.processor is None:  # a file may leave it to run(config, processor)
            raise ConfigError(
                f"{source}: 'processor' is needed to run datasets with events: name the "
                "class in the file (processor: file.py:Class) or give it to "
                "opencoffea.run(config, MyProcessor)"
            )
        cls, origin = _class_named(config.processor, config.resolve, where)
    elif isinstance(processor, str):
        where = f"processor {processor!r}"
        cls, origin = _class_named(processor, lambda p: Path(p).expanduser().resolve(), where)
    else:
        cls, origin = processor, getattr(processor, "__module__", None) or "?"
        where = f"processor {getattr(processor, '__qualname__', processor)!s}"
    if not (isinstance(cls, type) and issubclass(cls, Processor)):
        raise ProcessorLoadError(
            f"{where}: {getattr(cls, '__name__', cls)} must be a subclass of "
            f"opencoffea.Processor, it is {cls!r}"
        )
    if inspect.isabstract(cls):
        missing = ", ".join(f"{m}()" for m in sorted(cls.__abstractmethods__))
        raise ProcessorLoadError(
            f"{where}: {cls.__name__} in {origin} does not define {missing}; a processor "
            "writes its physics in analyze(self, events, out)"
        )
    if processor is not None and not isinstance(processor, str):
        _travel_by_value(cls)
    return cls


def processor_spec(cls: type[Processor]) -> str:
    """Where a class came from, as ``processor:`` would name it: ``file.py:Class`` for a
    class of a file, ``module:Class`` otherwise (``__main__:Class`` for a notebook's).

    What a result records as its processor when it is given a class, not a name.

    Example:
        >>> higgs4l = import_analysis("analyses/higgs4l.py")
        >>> spec = processor_spec(higgs4l.HiggsToFourLeptons)
        >>> spec.endswith("analyses/higgs4l.py:HiggsToFourLeptons")
        True
        >>> class Mine(Processor):
        ...     def analyze(self, events, out):
        ...         pass
        >>> Mine.__module__ = "__main__"  # of a notebook, whose __main__ has no file
        >>> import types, unittest.mock
        >>> with unittest.mock.patch.dict(sys.modules, __main__=types.ModuleType("__main__")):
        ...     processor_spec(Mine)
        '__main__:Mine'
    """
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if file and Path(file).is_file():  # not python's "<stdin>" or a kernel's made-up name
        return f"{file}:{cls.__name__}"
    return f"{cls.__module__}:{cls.__name__}"


def _class_named(spec: str, resolve: Callable[[str], Path], where: str) -> tuple[object, str]:
    """The object ``spec`` (``file.py:Class`` or ``module:Class``) names, and its file."""
    target, _, name = spec.rpartition(":")
    if not target or not name.isidentifier():
        raise ProcessorLoadError(f"{where}: name it file.py:Class or module:Class")
    if target.endswith(".py") or "/" in target or "\\" in target:
        module = _import_file(resolve(target), where)
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
    return cls, getattr(module, "__file__", None) or target


def _travel_by_value(cls: type) -> None:
    """Have cloudpickle send ``cls`` itself to workers, where its module may not import.

    A test's or a script's module is not on a worker's path; the framework and installed
    packages are, and their classes travel by name.
    """
    module = sys.modules.get(cls.__module__)
    if module is None or module.__name__ == "__main__":  # cloudpickle's own rule: by value
        return
    if module.__name__.partition(".")[0] == __name__.partition(".")[0]:
        return
    file = getattr(module, "__file__", None)
    installed = {sysconfig.get_path(kind) for kind in ("purelib", "platlib", "stdlib")}
    if file and any(Path(file).resolve().is_relative_to(p) for p in installed if p):
        return
    cloudpickle.register_pickle_by_value(module)


def import_analysis(path: str | Path) -> ModuleType:
    """The module of an analysis file, imported as ``processor:`` imports one.

    For an analysis that builds on another file (``analyses/higgs4l_df103.py`` on
    ``higgs4l.py``): each file is imported once, under a private name, and travels to
    dask workers by value like the processor itself, so workers need no copy of it. A file
    changed since it was imported (or one of the files it imports so) is imported again.

    Example:
        >>> higgs4l = import_analysis("analyses/higgs4l.py")  # in higgs4l_df103.py, say
        >>> higgs4l.CHANNELS, import_analysis("analyses/./higgs4l.py") is higgs4l
        (('4mu', '4e', '2e2mu'), True)
    """
    return _import_file(Path(path), "import_analysis")


# Each analysis file imported, by its resolved path: the module, and the sha256 of each file
# it was made from (itself and those it imported with import_analysis), to know it is stale.
_IMPORTED: dict[Path, tuple[ModuleType, dict[Path, str]]] = {}
# The files of each import in progress: a nested import adds its files to its importer's.
_IMPORTING: list[dict[Path, str]] = []


def _import_file(path: Path, where: str) -> ModuleType:
    if not path.is_file():
        raise ProcessorLoadError(f"{where}: no such file {path}")
    path = path.resolve()  # one module per file, however the path to it is spelled
    cached = _IMPORTED.get(path)
    if cached is not None and all(_digest(p) == d for p, d in cached[1].items()):
        module, files = cached
    else:
        source = path.read_bytes()
        files = {path: hashlib.sha256(source).hexdigest()}
        _IMPORTING.append(files)
        try:
            module = _execute(path, source)
        finally:
            _IMPORTING.pop()
        _IMPORTED[path] = (module, files)
    if _IMPORTING:
        _IMPORTING[-1].update(files)
    return module


def _digest(path: Path) -> str | None:
    try:
        return sha256_of(path)
    except OSError:  # gone: stale, and importing it again says so
        return None


def _execute(path: Path, source: bytes) -> ModuleType:
    """A new module of ``source``, the content of ``path``, under the file's private name.

    Compiled from the bytes that were read (and digested), never from a ``__pycache__``
    file, which an edit within the same second and of the same size would leave looking
    up to date.
    """
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"opencoffea_analysis_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:
        raise ProcessorLoadError(f"{path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(module_name)
    sys.modules[module_name] = module
    try:
        exec(compile(source, str(path), "exec", dont_inherit=True), module.__dict__)
    except BaseException as err:
        if previous is None:
            del sys.modules[module_name]
        else:  # the version imported before stays what the name gives
            sys.modules[module_name] = previous
        if isinstance(err, SyntaxError):
            raise ProcessorLoadError(f"{path}, line {err.lineno}: {err.msg}") from None
        if isinstance(err, ProcessorLoadError) or not isinstance(err, Exception):
            raise  # a file it imports with import_analysis: that file's error; Ctrl-C
        frame = traceback.extract_tb(err.__traceback__)[-1]
        raise ProcessorLoadError(
            f"{path}: importing it failed at {frame.filename}, line {frame.lineno}: "
            f"{type(err).__name__}: {err}"
        ) from None
    cloudpickle.register_pickle_by_value(module)
    return module
