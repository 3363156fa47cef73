"""From a dataset entry of the YAML file to its list of input files.

Local ``files`` are paths or globs relative to the YAML file; they are expanded and
sorted, so the order of files (and so of chunks) is the same on every run. A glob that
matches nothing is an error, not an empty dataset: a typo must not pass for "no events".

Example:
    >>> from opencoffea.config import parse_config
    >>> config = parse_config(f'''
    ... name: demo
    ... processor: analyses/dimuon.py:DimuonSpectrum
    ... datasets: {{Data: {{files: ["{testdata}/nanoaod/nano_d*.root"], kind: data}}}}
    ... ''')
    >>> [Path(file.path).name for file in resolve_files(config, "Data")]  # sorted
    ['nano_dimuon.root', 'nano_dy.root', 'nano_dy_SpecialTree.root', 'nano_dy_empty.root']
"""

from __future__ import annotations

import fnmatch
import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..config import AnalysisConfig, GeneratedSample
from ..errors import ConfigError
from .cache import cache_dir
from .portal import Portal
from .progress import progress_bar
from .records import Record

__all__ = ["InputFile", "resolve_files"]

_REMOTE = ("http://", "https://", "root://", "s3://")


@dataclass(frozen=True)
class InputFile:
    """One file of a dataset, before it is opened.

    Example:
        >>> InputFile("DY", "dy.root")
        InputFile(dataset='DY', path='dy.root', treename=None, checksum=None)
    """

    dataset: str
    path: str
    treename: str | None = None
    checksum: str | None = None  # "adler32:…" where the source states one (portal files)


def resolve_files(
    config: AnalysisConfig, dataset: str, portal: Portal | None = None, *, progress: bool = False
) -> list[InputFile]:
    """The files of one dataset of ``config``, globs expanded, in a stable order.

    A ``record:`` dataset asks ``portal`` (a :class:`~opencoffea.datasets.portal.Portal`;
    by default the configuration's server) for the record's files, ``pick:`` filtering them;
    a ``generate:`` dataset's samples are generated the first time. With ``progress``, a bar
    shows either while it runs.

    Example:
        >>> from opencoffea.config import parse_config
        >>> config = parse_config(f'''
        ... name: demo
        ... processor: analyses/dimuon.py:DimuonSpectrum
        ... luminosity: 1.0
        ... datasets: {{DY: {{files: [{nano_dy}, {nano_dy}], kind: mc, xsec: 1.0}}}}
        ... ''')
        >>> resolve_files(config, "DY") == [InputFile("DY", nano_dy)]  # each file once
        True
    """
    spec = config.datasets[dataset]
    if spec.record is not None:
        return record_files(config, dataset, portal or portal_for(config), progress=progress)[1]
    if spec.generate is not None:
        samples = spec.generate if isinstance(spec.generate, list) else [spec.generate]
        return [
            InputFile(dataset, str(path))
            for sample in samples
            for path in generated_files(sample, spec.kind, progress=progress)
        ]
    paths: list[str] = []
    for pattern in spec.files or []:
        if pattern.startswith(_REMOTE):
            paths.append(pattern)
            continue
        resolved = str(config.resolve(pattern))
        matches = sorted(glob.glob(resolved)) if glob.has_magic(resolved) else [resolved]
        if glob.has_magic(resolved) and not matches:
            raise ConfigError(f"dataset {dataset!r}: no file matches {pattern!r} ({resolved})")
        paths.extend(matches)
    return [InputFile(dataset, p, spec.treename) for p in dict.fromkeys(paths)]  # each once


def portal_for(config: AnalysisConfig, server: str | None = None, refresh: bool = False) -> Portal:
    """The portal client of a configuration: ``server``, else its ``portal:``, else the default.

    Example:
        >>> from opencoffea.config import load_config
        >>> portal_for(load_config("configs/dimuon_2016.yaml"), "https://opendata.cern.ch")
        Portal('https://opendata.cern.ch')
    """
    return Portal(server or config.portal, refresh=refresh)


def record_files(
    config: AnalysisConfig, dataset: str, portal: Portal, *, progress: bool = False
) -> tuple[Record, list[InputFile]]:
    """A ``record:`` dataset's record and its files (``pick:`` applied), read over HTTPS
    (with a progress bar while the portal is asked, if ``progress``).

    Example:
        >>> from opencoffea.config import load_config
        >>> config = load_config("configs/dimuon_2016.yaml")
        >>> portal = portal_for(config)  # the CERN Open Data portal: this needs the network
        >>> record, files = record_files(config, "DoubleMuon_Run2016H", portal)  # doctest: +SKIP
        >>> record.recid, files[0].checksum.startswith("adler32:")  # doctest: +SKIP
        (30555, True)
    """
    spec = config.datasets[dataset]
    if spec.record is None:
        raise ConfigError(f"dataset {dataset!r} names no record: its files are not the portal's")
    with progress_bar(f"record {spec.record}: its files, from {portal.server}", None, progress):
        record = portal.dataset(spec.record)
    files = list(record.files)
    if spec.pick is not None:
        files = [f for f in files if any(fnmatch.fnmatch(f.name, p) for p in spec.pick)]
        if not files:
            names = ", ".join(f.name for f in record.files[:8])
            raise ConfigError(
                f"dataset {dataset!r}: no file of record {record.recid} matches pick "
                f"{spec.pick}; its files: {names}{', ...' if len(record.files) > 8 else ''}"
            )
    inputs = [
        InputFile(dataset, portal.url(f, config.protocol), spec.treename, f.checksum) for f in files
    ]
    return record, inputs


def generated_files(
    sample: GeneratedSample, kind: Literal["mc", "data"], *, progress: bool = False
) -> list[Path]:
    """The files of a ``generate:`` dataset, written into the cache the first time (with a
    progress bar, if ``progress``: a sample of 100,000 events takes seconds).

    The file name holds every parameter and the generator's version, so a changed parameter
    or generator makes a new file and an unchanged one is reused; a file is written under a
    temporary name and renamed, so an interrupted run never leaves half a sample behind.

    Example:
        >>> import os, tempfile
        >>> from unittest import mock
        >>> from opencoffea.config import GeneratedSample
        >>> sample = GeneratedSample(process="dy_mumu", events=1_000, files=2, seed=5)
        >>> with mock.patch.dict(os.environ, OPENCOFFEA_CACHE=tempfile.mkdtemp()):
        ...     paths = generated_files(sample, "mc")
        >>> [path.name for path in paths]  # parameters, then the generator's version
        ['dy_mumu_mc_nanoaod_lzma_n500_s5_v3.root', 'dy_mumu_mc_nanoaod_lzma_n500_s6_v3.root']
    """
    from ..samples import GENERATOR_VERSION, generate

    per_file = -(-sample.events // sample.files)
    paths = []
    for index in range(sample.files):
        events = min(per_file, sample.events - index * per_file)
        seed = sample.seed + index
        parameters = f"{sample.format}_{sample.compression}_n{events}_s{seed}"
        name = f"{sample.process}_{kind}_{parameters}_v{GENERATOR_VERSION}.root"
        path = cache_dir("samples") / name
        if not path.exists():  # generate() writes it whole or not at all
            what = f"generating {sample.process} ({kind}, seed {seed})"
            with progress_bar(what, events, progress) as advance:
                generate(
                    sample.process,
                    path,
                    events,
                    seed=seed,
                    kind=kind,
                    format=sample.format,
                    compression=sample.compression,
                    progress=advance,
                )
        paths.append(path)
    return paths
