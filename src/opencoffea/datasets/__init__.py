"""Datasets: from a YAML entry to the list of files, with what each file holds.

``fileset`` resolves local paths and globs (portal records arrive with the portal client);
``sumw`` reads the normalisation sums from a file's ``Runs`` tree.
"""

from .fileset import InputFile, resolve_files
from .sumw import RunSums, read_run_sums

__all__ = ["InputFile", "RunSums", "read_run_sums", "resolve_files"]
