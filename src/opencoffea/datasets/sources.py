"""Where each dataset of a run comes from: its files, its portal record, its lumi mask.

A run asks :class:`Sources` for the files and the golden-JSON masks of its datasets; the
answers are resolved once (a portal record is fetched once, whether its files or its
validated-runs record is asked first), and what the manifest should say of each source
is kept on the way (record, title, DOI, golden JSON), with the warnings found (a record's
files holding other than the events the record states).

A mistake that would give wrong numbers without a word is a
:class:`~opencoffea.errors.ConfigError` naming the YAML file and line: the same file in two
datasets (its events counted twice), found as the files are resolved; a file whose content
is not its dataset's ``kind:`` (simulation declared data, or the reverse), found once the
pre-pass has opened it (:meth:`Sources.check_kinds`).

Example:
    >>> import tempfile
    >>> from opencoffea import generate
    >>> from opencoffea.config import parse_config
    >>> data = generate("dimuon_data", f"{tempfile.mkdtemp()}/data.root", 1_000)  # 2016 runs
    >>> golden = next((testdata / "lumimasks").glob("Cert_271036-284044_*"))  # 2016
    >>> config = parse_config(f'''
    ... name: demo
    ... processor: analyses/dimuon.py:DimuonSpectrum
    ... datasets: {{DoubleMuon: {{files: [{data}], kind: data, lumimask: {golden}}}}}
    ... ''')
    >>> sources = Sources(config)
    >>> [file.path for file in sources.files("DoubleMuon")] == [str(data)]
    True
    >>> mask = sources.lumimasks(["DoubleMuon"])["DoubleMuon"]
    >>> import uproot
    >>> tree = uproot.open(data)["Events"]
    >>> runs, lumis = (tree[name].array(library="np") for name in ("run", "luminosityBlock"))
    >>> int(mask(runs, lumis).sum()), len(runs)  # the events in certified sections
    (250, 1000)
    >>> sources.described["DoubleMuon"]["lumimask"] == str(golden)
    True
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..config import AnalysisConfig, PortalRef
from ..config.messages import join
from ..errors import ConfigError
from .download import golden_json
from .fileset import InputFile, portal_for, record_files, resolve_files
from .lumis import load_mask
from .portal import Portal
from .records import Record

if TYPE_CHECKING:
    from coffea.lumi_tools import LumiMask

__all__ = ["Sources"]


class Sources:
    """The files and lumi masks of the datasets of ``config``, resolved once.

    ``server`` is the CERN Open Data portal for ``record:`` datasets (else the YAML's
    ``portal:``, else ``OPENCOFFEA_PORTAL``, else opendata.cern.ch); ``refresh`` asks it
    again for records already in the cache. No portal client is made until a dataset or a
    lumi mask asks for a record. ``status`` shows progress bars while samples are
    generated and records' files asked for.

    Example:
        >>> from opencoffea import load_config
        >>> sources = Sources(load_config("configs/dimuon_2016.yaml"), "https://opendata.cern.ch")
        >>> sources.portal
        Portal('https://opendata.cern.ch')
        >>> sources.check_events({"DoubleMuon_Run2016H": 1000})  # no record read yet
        >>> sources.warnings
        []
    """

    def __init__(
        self,
        config: AnalysisConfig,
        server: str | None = None,
        refresh: bool = False,
        *,
        status: bool = False,
    ) -> None:
        self.config = config
        self.status = status
        self._server = server
        self._refresh = refresh
        self._portal: Portal | None = None
        self.records: dict[str, Record] = {}
        self.described: dict[str, dict[str, Any]] = {}  # what the manifest says of each
        self.warnings: list[str] = []
        self._owners: dict[str, str] = {}  # each event file (its identity) → its dataset

    def files(self, dataset: str) -> list[InputFile]:
        """The input files of one dataset (a record's: its ``pick:``, read from the portal).

        A file that another dataset with events has too is a :class:`ConfigError`: its
        events would be counted twice. (Pre-made histograms may share a file: each dataset
        reads its own histograms from it.)

        Example:
            >>> from opencoffea import load_config
            >>> sources = Sources(load_config("configs/dimuon_2016.yaml"))
            >>> files = sources.files("DoubleMuon_Run2016H")  # doctest: +SKIP
            >>> sources.described["DoubleMuon_Run2016H"]["record"]  # doctest: +SKIP
            30555
        """
        spec = self.config.datasets[dataset]
        if spec.record is None:
            return self._owned(dataset, resolve_files(self.config, dataset, progress=self.status))
        record, files = record_files(self.config, dataset, self.portal, progress=self.status)
        self.records[dataset] = record
        self.described.setdefault(dataset, {}).update(
            record=record.recid,
            title=record.title,
            doi=record.doi,
            server=self.portal.server,
            number_events=record.number_events,
            files_in_record=len(record.files),
            files_used=len(files),
        )
        return self._owned(dataset, files)

    def _owned(self, dataset: str, files: list[InputFile]) -> list[InputFile]:
        """``files``, once each of them is known to be in no other dataset with events."""
        if self.config.datasets[dataset].read is not None:
            return files
        for file in files:
            # a local file by where it really is (a symlink or ../ is the same file); a URL as is
            key = file.path if "://" in file.path else os.path.realpath(file.path)
            other = self._owners.setdefault(key, dataset)
            if other != dataset:
                raise ConfigError(
                    self.config.locate(
                        ("datasets", dataset),
                        f"{file.path} is in dataset {other!r} too; its events would be counted "
                        "twice (a file belongs to one dataset)",
                    )
                )
        return files

    def lumimasks(self, datasets: list[str]) -> dict[str, LumiMask]:
        """The golden-JSON mask of each data dataset: the YAML's, else its record's."""
        masks = {}
        for name in datasets:
            spec = self.config.datasets[name]
            if spec.kind != "data" or spec.lumimask is False:
                continue
            if isinstance(spec.lumimask, str):
                path, origin = self.config.resolve(spec.lumimask), spec.lumimask
            elif isinstance(spec.lumimask, PortalRef):
                path = golden_json(spec.lumimask.record, portal=self.portal)
                origin = f"record {spec.lumimask.record}"
            elif spec.record is not None and self._record(name).validated_runs:
                recid = self._record(name).validated_runs[0]
                path = golden_json(recid, portal=self.portal)
                origin = f"record {recid} (the validated runs record {spec.record} names)"
            else:
                continue
            masks[name] = load_mask(path, name)
            self.described.setdefault(name, {}).update(lumimask=origin, lumimask_file=str(path))
        return masks

    @property
    def portal(self) -> Portal:
        """The portal client of the records, made when first asked for."""
        if self._portal is None:
            self._portal = portal_for(self.config, self._server, self._refresh)
        return self._portal

    def _record(self, dataset: str) -> Record:
        if dataset not in self.records:
            self.files(dataset)
        return self.records[dataset]

    def check_kinds(self, files: Iterable[tuple[str, str, bool]]) -> None:
        """A :class:`ConfigError` where files are not of their dataset's ``kind:``.

        ``files`` are (dataset, path, is_data) of each file as the pre-pass found it
        (:attr:`opencoffea.events.FileInfo.is_data`: no generator weight). Data read as
        simulation would be scaled by a cross section, simulation read as data would be
        drawn as data: either is a wrong result with nothing to show it.

        Example:
            >>> from opencoffea import load_config
            >>> sources = Sources(load_config("configs/dimuon_demo.yaml"))
            >>> sources.check_kinds([("DoubleMuon", "data.root", True)])  # as declared
            >>> sources.check_kinds([("DoubleMuon", "dy.root", False)])
            ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
            Traceback (most recent call last):
            ...
            opencoffea.errors.ConfigError: .../configs/dimuon_demo.yaml, line 11,
            datasets.DoubleMuon.kind: dataset 'DoubleMuon' is declared data, but dy.root is
            simulation (it has generator weights); correct its kind: or its files
        """
        wrong: dict[str, list[str]] = {}
        for dataset, path, is_data in files:
            if is_data != (self.config.datasets[dataset].kind == "data"):
                wrong.setdefault(dataset, []).append(path)
        problems = []
        for dataset, paths in wrong.items():
            declared, found = (
                ("data", "simulation (it has generator weights)")
                if self.config.datasets[dataset].kind == "data"
                else ("simulation", "collision data (it has no generator weights)")
            )
            more = f" (and {len(paths) - 1} more of its files)" if len(paths) > 1 else ""
            message = (
                f"dataset {dataset!r} is declared {declared}, but {paths[0]}{more} is {found}; "
                "correct its kind: or its files"
            )
            problems.append(self.config.locate(("datasets", dataset, "kind"), message))
        if problems:
            raise ConfigError(join(problems))

    def check_events(self, found: Mapping[str, int]) -> None:
        """Warn where a whole record's files hold other than the events the record states.

        ``found`` is the number of events in the files of each dataset, as the run read them.
        """
        for name, record in self.records.items():
            if self.config.datasets[name].pick is not None or not record.number_events:
                continue
            events = found.get(name, 0)
            if events != record.number_events:
                self.warnings.append(
                    f"dataset {name!r}: the files of record {record.recid} hold {events:,} "
                    f"events, the record states {record.number_events:,}"
                )
