"""The checkpoint of a run: each finished chunk's output on disk, so that ``--resume``
processes only what is missing.

A run's checkpoint is the directory ``<parent>/.<name>.run/checkpoint/`` beside its result
directory ``<parent>/<name>`` (:func:`checkpoint_dir`). It holds:

- ``run.json``: the *run key* (:class:`RunKey`), digests of what determines the
  histograms: the configuration, section by section, without the settings that change
  only how the run goes or what is drawn (``execution``, ``output``, ``plots``,
  ``yields``); the processor's code (its class's file, and those of the classes it
  derives from); the correction payloads (their sha256); and the opencoffea version.
  Also the chunk size the run split its files with.
- one file per finished chunk (:mod:`opencoffea.outputfile`: JSON and arrays, no
  pickle), named by the dataset, the file's UUID, the entry range and the run key. It
  is taken back for the same file only: a file written again has another UUID, and a
  copy of it elsewhere, the same UUID but another path, which the kept tallies name.

A resumed run splits its files with the checkpoint's chunk size, whatever ``--chunksize``
says: chunk edges follow from a file's clusters, its entries and the chunk size, so every
kept chunk is then exactly one chunk of the resumed run, and is taken as it is, while the
histograms do not depend on the chunking (invariant 1). A run key that differs from the
checkpoint's is refused, naming what changed. A chunk that failed is not kept: resuming
tries it again, which is what a failure to read a remote file needs.

Example:
    >>> import tempfile
    >>> from opencoffea import load_config
    >>> from opencoffea.processor import load_processor
    >>> config = load_config("configs/dimuon_demo.yaml")
    >>> key = RunKey.of(config, load_processor(config)(config))
    >>> where = checkpoint_dir(Path(tempfile.mkdtemp()) / "dimuon_demo")
    >>> store = Checkpoint.open(where, key, chunksize=100_000, resume=False)
    >>> sorted(p.name for p in where.iterdir()), kept(where)
    (['run.json'], 0)
    >>> Checkpoint.open(where, key, chunksize=50_000, resume=True).chunksize  # the stored one
    100000
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..config import AnalysisConfig
from ..errors import CheckpointError, ResultError
from ..output import Output
from ..outputfile import read, write
from ..processor import Processor
from ..results.rundir import work_dir
from ..util import sha256_of, write_atomic
from .chunking import Chunk

__all__ = ["Checkpoint", "RunKey", "checkpoint_dir", "discard", "kept"]

_RUN = "run.json"
_CHUNK = ".zip"
# Sections of the YAML that change how a run goes or what is drawn, never the histograms
# (invariant 1: the same histograms whatever the executor, workers and chunking).
_NOT_IN_HISTOGRAMS = ("execution", "output", "plots", "yields")


def checkpoint_dir(result_dir: str | Path) -> Path:
    """The checkpoint directory of the run whose result goes to ``result_dir``.

    Example:
        >>> checkpoint_dir("/data/results/higgs4l").as_posix()
        '/data/results/.higgs4l.run/checkpoint'
    """
    return work_dir(result_dir) / "checkpoint"


@dataclass(frozen=True)
class RunKey:
    """What determines a run's histograms, as sha256 digests of its parts.

    ``config`` maps each section of the configuration to the digest of its content;
    ``processor`` and ``corrections`` map files (of the processor's code, of the payloads)
    to the digests of their bytes. Two keys are the same run when every digest, and the
    version, are the same; where the files are does not matter.

    Example:
        >>> a = RunKey({"histograms": "1f…"}, {"analyses/a.py": "9c…"}, {}, "0.1.0")
        >>> b = RunKey({"histograms": "2e…"}, {"/elsewhere/a.py": "9c…"}, {}, "0.1.0")
        >>> b.changes(a)
        ['the configuration (histograms)']
    """

    config: dict[str, str]
    processor: dict[str, str]
    corrections: dict[str, str]
    version: str

    @classmethod
    def of(cls, config: AnalysisConfig, processor: Processor) -> RunKey:
        """The key of a run of ``config`` with ``processor``.

        Example:
            >>> from opencoffea import load_config
            >>> from opencoffea.processor import load_processor
            >>> config = load_config("configs/dimuon_demo.yaml")
            >>> key = RunKey.of(config, load_processor(config)(config))
            >>> "histograms" in key.config, "execution" in key.config  # only what changes results
            (True, False)
            >>> [Path(file).name for file in key.processor]
            ['dimuon.py']
        """
        sections = config.model_dump(mode="json", exclude=set(_NOT_IN_HISTOGRAMS))
        classes = type(processor).__mro__
        own = classes[: classes.index(Processor)]  # the user's classes, not the framework's
        files = dict.fromkeys(inspect.getfile(c) for c in own)
        corrector = processor.corrector
        return cls(
            config={name: _digest(value) for name, value in sections.items()},
            processor={file: sha256_of(file) for file in files},
            corrections={
                p["file"]: p["sha256"] for p in (corrector.provenance() if corrector else [])
            },
            version=__version__,
        )

    @property
    def digest(self) -> str:
        """One digest of the whole key (of the contents, not of where the files are)."""
        contents = [sorted(self.processor.values()), sorted(self.corrections.values())]
        return _digest([self.config, *contents, self.version])

    def changes(self, before: RunKey) -> list[str]:
        """What differs from the key ``before``, in words (nothing: the same run)."""
        found = []
        sections = sorted(
            name
            for name in self.config.keys() | before.config.keys()
            if self.config.get(name) != before.config.get(name)
        )
        if sections:
            found.append(f"the configuration ({', '.join(sections)})")
        if sorted(self.processor.values()) != sorted(before.processor.values()):
            found.append(f"the processor's code ({', '.join(self.processor)})")
        if sorted(self.corrections.values()) != sorted(before.corrections.values()):
            differing = set(self.corrections.items()) ^ set(before.corrections.items())
            found.append(f"the corrections ({', '.join(sorted({f for f, _ in differing}))})")
        if self.version != before.version:
            found.append(f"the opencoffea version ({before.version} → {self.version})")
        return found


class Checkpoint:
    """The finished chunks of a run, one file each, with the run key they belong to.

    Made by :meth:`open`; :meth:`completed` splits a run's chunks into those still to
    process and the output of those kept; :meth:`save` keeps one more. ``notes`` are what
    the run should tell (a replaced checkpoint, a chunk file that could not be read).
    """

    def __init__(self, directory: Path, key: RunKey, chunksize: int, notes: list[str]) -> None:
        self.directory = directory
        self.key = key
        self.chunksize = chunksize
        self.notes = notes

    @classmethod
    def open(
        cls, directory: str | Path, key: RunKey, chunksize: int, *, resume: bool
    ) -> Checkpoint:
        """The checkpoint in ``directory``: the one there if ``resume`` (refused, saying
        why, if its run key is not ``key``), else a new one in its place.

        Resuming where there is no checkpoint starts a new one, with a note. A resumed
        checkpoint keeps its chunk size (see the module's text).
        """
        directory = Path(directory)
        notes: list[str] = []
        if resume and (directory / _RUN).exists():
            before, stored_size = _read_run(directory)
            changes = key.changes(before)
            if changes:
                raise CheckpointError(
                    f"cannot resume from {directory}: {' and '.join(changes)} changed since "
                    "its chunks were processed; run without --resume to start again"
                )
            if stored_size != chunksize:
                notes.append(
                    f"resumed with the checkpoint's chunks of {stored_size:,} entries "
                    f"(not {chunksize:,}), so that every kept chunk is one of this run"
                )
            return cls(directory, key, stored_size, notes)
        earlier = kept(directory)
        if resume:
            notes.append(f"nothing to resume in {directory}: every chunk was processed")
        elif earlier:
            notes.append(
                f"the checkpoint of an earlier run ({earlier} chunks) in {directory} was "
                "replaced; --resume continues one instead"
            )
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
        run = {"key": asdict(key), "chunksize": chunksize}
        write_atomic(directory / _RUN, json.dumps(run, indent=1) + "\n")
        return cls(directory, key, chunksize, notes)

    def completed(self, chunks: list[Chunk]) -> tuple[list[Chunk], Output]:
        """The chunks still to process, and the summed output of those kept.

        A kept chunk is taken only if it is the same file (UUID and path) and the same
        entry range; a chunk file that cannot be read is processed again, with a note.
        """
        remaining: list[Chunk] = []
        total = Output()
        for chunk in chunks:
            output = self._kept(chunk)
            if output is None:
                remaining.append(chunk)
            else:
                total = total + output
        return remaining, total

    def save(self, chunk: Chunk, output: Output) -> None:
        """Keep a finished chunk's output (not a failed one: resuming tries it again).

        Where the checkpoint's directory cannot be seen (a worker of a remote cluster
        without this filesystem, a run already written), nothing is kept: the chunk runs
        again on resume, which costs time, never correctness.
        """
        if output.failures or not self.directory.is_dir():
            return
        try:
            write(output, self._path(chunk))
        except OSError as err:
            raise CheckpointError(
                f"cannot keep a finished chunk in {self.directory}: {err}"
            ) from None

    def _path(self, chunk: Chunk) -> Path:
        # the path's digest too: copies of a file (one UUID) in a dataset are kept apart
        where = _digest(chunk.info.path)[:8]
        name = f"{chunk.dataset}.{chunk.info.uuid}.{where}.{chunk.entry_start}-{chunk.entry_stop}"
        return self.directory / f"{name}.{self.key.digest[:12]}{_CHUNK}"

    def _kept(self, chunk: Chunk) -> Output | None:
        path = self._path(chunk)
        if not path.is_file():
            return None
        try:
            output = read(path)
        except ResultError as err:
            self.notes.append(f"a kept chunk was processed again: {err}")
            return None
        # the same UUID at another path (a copy): its tallies name the other path
        return output if set(output.files) == {chunk.info.path} else None


def kept(directory: str | Path) -> int:
    """The number of finished chunks kept in a checkpoint directory (0 where there is none).

    Example:
        >>> kept("no/such/checkpoint")
        0
    """
    directory = Path(directory)
    return sum(1 for _ in directory.glob(f"*{_CHUNK}")) if directory.is_dir() else 0


def discard(directory: str | Path) -> None:
    """Remove a checkpoint (its run's result is written), and the run's working
    directory with it if nothing else is in there.

    Example:
        >>> import tempfile
        >>> where = checkpoint_dir(Path(tempfile.mkdtemp()) / "demo")
        >>> where.mkdir(parents=True)
        >>> discard(where)
        >>> where.exists(), where.parent.exists()
        (False, False)
    """
    directory = Path(directory)
    shutil.rmtree(directory, ignore_errors=True)
    with contextlib.suppress(OSError):  # not empty: another part of the run keeps something
        directory.parent.rmdir()


def _read_run(directory: Path) -> tuple[RunKey, int]:
    try:
        run = json.loads((directory / _RUN).read_text())
        return RunKey(**run["key"]), int(run["chunksize"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CheckpointError(
            f"{directory / _RUN}: not a checkpoint's run file ({type(err).__name__}: {err}); "
            "run without --resume to start again"
        ) from None


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
