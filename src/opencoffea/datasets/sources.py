"""Where each dataset of a run comes from: its files, its portal record, its lumi mask.

A run asks :class:`Sources` for the files and the golden-JSON masks of its datasets; the
answers are resolved once (a portal record is fetched once, whether its files or its
validated-runs record is asked first), and what the manifest should say of each source
is kept on the way (record, title, DOI, golden JSON), with the warnings found (a record's
files holding other than the events the record states).

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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..config import AnalysisConfig, PortalRef
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
    lumi mask asks for a record.

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
        self, config: AnalysisConfig, server: str | None = None, refresh: bool = False
    ) -> None:
        self.config = config
        self._server = server
        self._refresh = refresh
        self._portal: Portal | None = None
        self.records: dict[str, Record] = {}
        self.described: dict[str, dict[str, Any]] = {}  # what the manifest says of each
        self.warnings: list[str] = []

    def files(self, dataset: str) -> list[InputFile]:
        """The input files of one dataset (a record's: its ``pick:``, read from the portal).

        Example:
            >>> from opencoffea import load_config
            >>> sources = Sources(load_config("configs/dimuon_2016.yaml"))
            >>> files = sources.files("DoubleMuon_Run2016H")  # doctest: +SKIP
            >>> sources.described["DoubleMuon_Run2016H"]["record"]  # doctest: +SKIP
            30555
        """
        spec = self.config.datasets[dataset]
        if spec.record is None:
            return resolve_files(self.config, dataset)
        record, files = record_files(self.config, dataset, self.portal)
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
