"""The payloads of the manifest: where each one is, which version it is, and how it is found.

A :class:`Payload` is one JSON-POG file of an era (its path, size, checksums and the keys an
analysis takes from it); :class:`PayloadFile` is one found on disk, or missing. The eras that
name them are in :mod:`opencoffea.eras`.

Example:
    >>> from opencoffea.eras import load_manifest
    >>> payload = load_manifest().era("2016postVFP_UL").payloads["puWeights"]
    >>> payload.path
    'POG/LUM/2016postVFP_UL/puWeights.json.gz'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..errors import CorrectionError
from ..util import sha256_of

__all__ = ["CHECKOUT", "ENV_ROOT", "Payload", "PayloadFile", "PortalSource", "Sources"]

ENV_ROOT = "OPENCOFFEA_CORRECTIONS"
"""The environment variable naming a payload directory (a jsonpog-integration checkout)."""

CHECKOUT = "jsonpog-integration"
"""The directory of a checkout, which a payload root may hold rather than be."""


class Model(BaseModel):
    """The base of the manifest's models: frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _relative(path: str) -> str:
    """A path inside a payload root: relative, '/'-separated, never leaving the root."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or ".." in parts or "\\" in path:
        raise ValueError(f"{path!r} must be a relative path inside the payload root, without '..'")
    return str(PurePosixPath(*parts))


RelativePath = Annotated[str, AfterValidator(_relative)]
"""A path inside a payload root (checked: relative, '/'-separated, never leaving it)."""


class PortalSource(Model):
    """The portal's open-data copy of the payloads: one archive of one record.

    Example:
        >>> from opencoffea.eras import load_manifest
        >>> load_manifest().sources.portal.record
        12508
    """

    record: int = Field(description="The record on the CERN Open Data portal.")
    file: str = Field(description="The archive's file name in the record.")
    size: int = Field(gt=0, description="The archive's size in bytes.")
    checksum: str = Field(
        pattern=r"^adler32:[0-9a-f]{1,8}$", description="The archive's checksum, as the portal."
    )


class Sources(Model):
    """Where payloads come from: the portal record, and known local checkouts.

    Example:
        >>> from opencoffea.eras import load_manifest
        >>> load_manifest().sources.directories
        ('/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration',)
    """

    portal: PortalSource = Field(description="The portal's open-data copy.")
    directories: tuple[str, ...] = Field(
        default=(), description="Known jsonpog-integration checkouts (CVMFS)."
    )


class Payload(Model):
    """One payload file of an era: where it lives, its checksums, the keys taken from it.

    ``keys`` maps each correction (or compound correction) an analysis takes to the names of
    the inputs it declares, in order, as the recorded version of the file declares them.

    Example:
        >>> from opencoffea.eras import load_manifest
        >>> pu = load_manifest().era("2016postVFP_UL").payloads["puWeights"]
        >>> pu.pog, pu.path
        ('LUM', 'POG/LUM/2016postVFP_UL/puWeights.json.gz')
        >>> pu.keys["Collisions16_UltraLegacy_goldenJSON"]
        ('NumTrueInteractions', 'weights')
    """

    name: str = Field(default="", description="Its key in the era's payloads (set on loading).")
    pog: Literal["JME", "EGM", "MUO", "LUM", "BTV", "TAU"] = Field(
        description="The physics object group that publishes it."
    )
    path: RelativePath = Field(description="Its JSON-POG path in a payload root.")
    found_as: tuple[RelativePath, ...] = Field(
        default=(), description="Other paths it is found under (a renamed copy)."
    )
    size: int = Field(gt=0, description="Its size in bytes.")
    adler32: str = Field(pattern=r"^[0-9a-f]{8}$", description="Its adler32 checksum.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Its sha256 checksum.")
    note: str | None = Field(default=None, description="What a user should know about it.")
    keys: dict[str, tuple[str, ...]] = Field(
        description="The keys an analysis takes from it, each with its inputs' names in order."
    )

    def locate(self, root: str | os.PathLike) -> Path | None:
        """The file under ``root`` (its JSON-POG path, in a checkout below it, or an alias).

        Example:
            >>> from opencoffea.eras import load_manifest
            >>> pu = load_manifest().era("2016postVFP_UL").payloads["puWeights"]
            >>> pu.locate(corrections_root).name, pu.locate(testdata / "nanoaod")
            ('puWeights.json.gz', None)
        """
        root = Path(root)
        candidates = [root / self.path, root / CHECKOUT / self.path]
        candidates += [root / alias for alias in self.found_as]
        return next((path for path in candidates if path.is_file()), None)

    def verify(self, path: str | os.PathLike) -> str:
        """The sha256 of ``path``, which must be the version the manifest records.

        Raises :class:`CorrectionError` naming both checksums otherwise.

        Example:
            >>> from opencoffea.eras import load_manifest
            >>> era = load_manifest().era("2016postVFP_UL")
            >>> era.payloads["puWeights"].verify(era.payload("LUM", corrections_root))
            'e95e77a855093b6da926469c6001e54919d3390591efd426c75eb010e4e003d3'
        """
        digest = sha256_of(path)
        if digest != self.sha256:
            raise CorrectionError(
                f"{path}: sha256 {digest} is not the version of {self.path} the manifest "
                f"records ({self.sha256}); another version of the payload, or a damaged copy"
            )
        return digest


@dataclass(frozen=True)
class PayloadFile:
    """A payload of an era as found somewhere: its path and sha256, or missing (None).

    ``state`` is ``"verified"`` (the version the manifest records), ``"other version"`` or
    ``"missing"``.

    Example:
        >>> from opencoffea.eras import load_manifest
        >>> found = load_manifest().era("2016postVFP_UL").status(corrections_root)[0]
        >>> found.payload.name, found.state, PayloadFile(found.payload, None, None).state
        ('jet_jerc', 'verified', 'missing')
    """

    payload: Payload
    path: Path | None
    sha256: str | None

    @property
    def state(self) -> Literal["verified", "other version", "missing"]:
        """Whether the payload was found, and in the version the manifest records."""
        if self.path is None:
            return "missing"
        return "verified" if self.sha256 == self.payload.sha256 else "other version"
