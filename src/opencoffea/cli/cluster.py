"""The ``jobscript`` command: the script of each batch job of a YAML file's ``execution.cluster``.

Nothing is submitted: the script is printed as dask-jobqueue would submit it (the
scheduler's address a placeholder, known once a run starts it), to check a
configuration before a run, or to compare with a site's own examples.

Example:
    $ opencoffea jobscript configs/my_analysis.yaml

    or from Python:

    >>> import pathlib, tempfile
    >>> from opencoffea.cli import main
    >>> text = pathlib.Path("configs/dimuon_demo.yaml").read_text().replace(
    ...     "executor: futures\\n  workers: 2",
    ...     "executor: dask\\n  cluster: {type: pbs, cores: 2, memory: 4GB, jobs: 5, queue: cms}")
    >>> config = pathlib.Path(tempfile.mkdtemp(), "pbs.yaml")
    >>> _ = config.write_text(text)
    >>> main(["jobscript", str(config)])  # doctest: +ELLIPSIS
    #!/usr/bin/env bash
    <BLANKLINE>
    #PBS -N dask-worker
    #PBS -q cms
    #PBS -l select=1:ncpus=2:mem=3815MB
    #PBS -l walltime=00:30:00
    ...
    0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``jobscript`` to ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["jobscript", "a.yaml"]).config
        PosixPath('a.yaml')
    """
    jobscript = sub.add_parser(
        "jobscript", help="print the batch job script of execution.cluster (submits nothing)"
    )
    jobscript.add_argument("config", type=Path, help="the analysis YAML file")
    jobscript.set_defaults(handler=_jobscript)


def _jobscript(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..execution.clusters import job_script

    config = load_config(args.config)
    if config.execution.cluster is None:
        raise ConfigError(f"{args.config}: no execution.cluster to make a job script of")
    # as it is: a script's own brackets ("rusage[mem=2000]") are not the terminal's markup
    sys.stdout.write(job_script(config.execution.cluster))
    return 0
