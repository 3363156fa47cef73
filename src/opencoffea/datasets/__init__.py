"""Datasets: from a YAML entry to the list of files, with what each file holds.

``fileset`` resolves local paths and globs (portal records arrive with the portal client);
``sumw`` reads the normalisation sums from a file's ``Runs`` tree.

Example:
    >>> from opencoffea.config import parse_config
    >>> config = parse_config(f'''
    ... name: demo
    ... processor: analyses/dimuon.py:DimuonSpectrum
    ... luminosity: 1.0
    ... datasets: {{DY: {{files: [{nano_dy}], kind: mc, xsec: 6077.22}}}}
    ... ''')
    >>> import uproot
    >>> (dy,) = resolve_files(config, "DY")
    >>> with uproot.open(dy.path) as file:
    ...     read_run_sums(file).branch  # NanoAOD before v7: the sums end with "_"
    'genEventSumw_'
"""

from .fileset import InputFile, resolve_files
from .sumw import RunSums, read_run_sums

__all__ = ["InputFile", "RunSums", "read_run_sums", "resolve_files"]
