"""dask workers as batch jobs (``execution.cluster``), and the local cluster's dashboard.

The job scripts need no batch system, only dask-jobqueue: each is checked for the lines its
scheduler reads. The end-to-end tests stand a small Slurm in for a real one (``sbatch`` and
``scancel`` on PATH, which run the job script on this machine): the workers that the script
starts join the scheduler over 127.0.0.1, with the framework loaded and the settings of a
local worker, run an analysis to the histograms of one process, and end with the run.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import signal
import socket
import sys
import textwrap
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from opencoffea import load_result, run
from opencoffea.cli import main
from opencoffea.config import ClusterSpec, Execution, load_config
from opencoffea.config.cluster import OPTIONS
from opencoffea.errors import ConfigError
from opencoffea.execution.clusters import cluster_client, job_script
from opencoffea.execution.daskworkers import dask_workers

from .helpers import assert_same_histograms, write_analysis

jobqueue = pytest.importorskip("dask_jobqueue")

HEAD = """\
name: demo
processor: analyses/dimuon.py:DimuonSpectrum
datasets:
  Data: {files: [data.root], kind: data}
execution:
  executor: dask
  cluster:
"""


def config_file(tmp_path: Path, cluster: str) -> Path:
    """An analysis file whose ``execution.cluster`` is ``cluster`` (YAML, indented here)."""
    path = tmp_path / "analysis.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(cluster), "    "))
    return path


def spec_of(tmp_path: Path, cluster: str) -> ClusterSpec:
    spec = load_config(config_file(tmp_path, cluster)).execution.cluster
    assert spec is not None
    return spec


# Each type from a YAML file: the lines its batch system reads for cores, memory, wall time,
# queue, account and the extra directives, in the scheduler's own syntax.
SCRIPTS = {
    "slurm": (
        """\
        type: slurm
        cores: 4
        memory: 8GB
        walltime: "02:00:00"
        jobs: 10
        queue: short
        account: cms
        job_extra_directives: [--constraint=el9]
        """,
        [
            "#SBATCH -p short",
            "#SBATCH -A cms",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --mem=8G",
            "#SBATCH -t 02:00:00",
            "#SBATCH --constraint=el9",
        ],
    ),
    "pbs": (
        """\
        type: pbs
        cores: 4
        memory: 8GB
        walltime: "02:00:00"
        jobs: 10
        queue: workq
        account: cms
        job_extra_directives: ["-m abe"]
        """,
        [
            "#PBS -q workq",
            "#PBS -A cms",
            "#PBS -l select=1:ncpus=4:mem=7630MB",  # MiB, as PBS counts
            "#PBS -l walltime=02:00:00",
            "#PBS -m abe",
        ],
    ),
    "sge": (
        """\
        type: sge
        cores: 4
        memory: 8GB
        walltime: "02:00:00"
        jobs: 10
        queue: all.q
        project: cms
        resource_spec: h_vmem=2G
        job_extra_directives: ["-pe smp 4"]
        """,
        ["#$ -q all.q", "#$ -P cms", "#$ -l h_vmem=2G", "#$ -l h_rt=02:00:00", "#$ -pe smp 4"],
    ),
    "lsf": (
        """\
        type: lsf
        cores: 4
        memory: 8GB
        walltime: "02:00"
        jobs: 10
        queue: long
        project: cms
        lsf_units: MB
        job_extra_directives: ["-R rusage[mem=2000]"]
        """,
        [
            "#BSUB -q long",
            '#BSUB -P "cms"',
            "#BSUB -n 4",
            "#BSUB -M 8000",
            "#BSUB -W 02:00",
            "#BSUB -R rusage[mem=2000]",
        ],
    ),
    "htcondor": (
        """\
        type: htcondor
        cores: 1
        memory: 2GB
        disk: 1GB
        adaptive: {maximum: 100}
        job_extra_directives:
          +JobFlavour: '"workday"'
          use_x509userproxy: true
        job_script_prologue: [source /afs/cern.ch/user/a/analyst/venv/bin/activate]
        """,
        [
            "RequestCpus = MY.DaskWorkerCores",
            "MY.DaskWorkerCores = 1",
            "MY.DaskWorkerMemory = 2000000000",
            "MY.DaskWorkerDisk = 1000000000",
            '+JobFlavour = "workday"',
            "use_x509userproxy = True",
            "Executable = /bin/sh",
            "Queue",
        ],
    ),
}


@pytest.mark.parametrize("kind", sorted(SCRIPTS))
def test_each_batch_system_gets_its_directives(tmp_path, kind):
    cluster, directives = SCRIPTS[kind]
    script = job_script(spec_of(tmp_path, cluster))
    lines = script.splitlines()
    assert [d for d in directives if d not in lines] == []
    # every worker: one thread, the framework loaded before it joins, a local worker's settings
    (command,) = [line for line in lines if "distributed.cli.dask_worker" in line]
    assert "--nthreads 1" in command
    assert "--preload opencoffea.execution.clusters" in command
    assert "export DASK_INTERNAL_INHERIT_CONFIG=" in script


def test_a_job_runs_a_worker_process_a_core_and_the_prologue_first(tmp_path):
    script = job_script(
        spec_of(
            tmp_path,
            """\
            {type: slurm, cores: 4, memory: 8GB, jobs: 1,
             job_script_prologue: ["source ~/venv/bin/activate"]}
            """,
        )
    )
    *_, prologue, inherit, command = script.splitlines()
    assert "--nworkers 4" in command and "--memory-limit 1.86GiB" in command
    assert prologue == "source ~/venv/bin/activate"
    assert inherit.startswith("export DASK_INTERNAL_INHERIT_CONFIG=")
    spec = ClusterSpec(type="slurm", cores=4, memory="8GB", jobs=1, processes=2)
    assert "--nworkers 2" in job_script(spec)


def test_the_workers_get_the_dask_settings_of_a_local_worker(tmp_path):
    """The variable the script exports holds the malloc and profiler settings of daskworkers."""
    import dask.config

    from opencoffea.execution.daskworkers import _CLUSTER_CONFIG

    script = job_script(ClusterSpec(type="pbs", cores=1, memory="2GB", jobs=1))
    (line,) = [x for x in script.splitlines() if x.startswith("export DASK_INTERNAL_INHERIT")]
    environment = {"DASK_INTERNAL_INHERIT_CONFIG": line.split("=", 1)[1]}
    inherited = dask.config.collect_env(environment)
    for key, value in _CLUSTER_CONFIG.items():
        node = inherited
        for part in key.split("."):
            node = node[part]
        assert node == value, key


@pytest.mark.parametrize("kind", sorted(OPTIONS))
def test_every_option_is_one_dask_jobqueue_takes(kind):
    """The keys passed through are parameters of dask-jobqueue's classes, of that type."""
    from opencoffea.execution.clusters import _CLASSES

    cluster_class = getattr(jobqueue, _CLASSES[kind])
    taken = set()
    for function in (cluster_class.__init__, cluster_class.job_cls.__init__, jobqueue.core.Job):
        taken |= set(inspect.signature(function).parameters)
    own = {"cores", "memory"} | ({"walltime"} if kind != "htcondor" else set())
    assert sorted((set(OPTIONS[kind]) | own) - taken) == []
    # the other way round: what the type's job takes, beyond every job's, is known here
    specific = set(inspect.signature(cluster_class.job_cls.__init__).parameters) - {
        "self",
        "scheduler",
        "name",
        "config_name",
        "base_class_kwargs",
        "project" if kind in ("slurm", "pbs") else "",  # deprecated there: account
    }
    assert sorted(specific - set(OPTIONS[kind]) - own) == []


@pytest.mark.parametrize(
    ("cluster", "line", "expected"),
    [
        (
            "{type: slurm, cores: 4, memory: 8GB, jobs: 2, acount: cms}",
            8,
            "execution.cluster.acount: unknown key 'acount' for a slurm cluster "
            "(did you mean 'account'?); allowed here: type, cores, memory,",
        ),
        (
            "{type: slurmm, cores: 4, memory: 8GB, jobs: 2}",
            8,
            "execution.cluster.type: 'slurmm' is not allowed (did you mean 'slurm'?); "
            "allowed: htcondor, slurm, pbs, sge, lsf",
        ),
        (
            "type: htcondor\ncores: 1\nmemory: 2GB\ndisk: 1GB\njobs: 1\nqueue: long\n",
            13,
            "execution.cluster.queue: unknown key 'queue' for a htcondor cluster",
        ),
        (
            "type: htcondor\ncores: 1\nmemory: 2GB\ndisk: 1GB\njobs: 1\nwalltime: '02:00:00'\n",
            13,
            "execution.cluster.walltime: HTCondor has no wall time: ask for it in "
            "job_extra_directives",
        ),
        (
            "type: slurm\ncores: 1\nmemory: 2GB\njobs: 1\nwalltime: 2:00:00\n",
            12,
            "execution.cluster.walltime: write the wall time in quotes ('02:00:00')",
        ),
        (
            "type: slurm\ncores: 1\nmemory: lots\njobs: 1\n",
            10,
            "execution.cluster.memory: 'lots' is not an amount of memory",
        ),
        (
            "type: htcondor\ncores: 1\nmemory: 2GB\njobs: 1\n",
            7,
            "execution.cluster: HTCondor needs the disk of a job",
        ),
        (
            "type: slurm\ncores: 1\nmemory: 2GB\n",
            7,
            "execution.cluster: give jobs (a number) or adaptive ({maximum: N}), one of them",
        ),
        (
            "type: slurm\ncores: 1\nmemory: 2GB\nadaptive: {minimum: 5, maximum: 2}\n",
            11,
            "execution.cluster.adaptive: minimum (5) is above maximum (2)",
        ),
        (
            "type: slurm\ncores: 1\nmemory: 2GB\njobs: 1\nworker_extra_args: --lifetime 1h\n",
            12,
            "execution.cluster.worker_extra_args: give a list of strings",
        ),
        (
            "type: htcondor\ncores: 1\nmemory: 2GB\ndisk: 1GB\njobs: 1\n"
            "job_extra_directives: ['+JobFlavour = \"workday\"']\n",
            13,
            "execution.cluster.job_extra_directives: give HTCondor's submit lines as a mapping",
        ),
    ],
)
def test_a_mistake_names_the_file_the_line_and_the_key(tmp_path, cluster, line, expected):
    path = config_file(tmp_path, cluster)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}, line {line}, {expected}" in str(error.value)


@pytest.mark.parametrize(
    ("execution", "expected"),
    [
        ("executor: futures", "'cluster' is only used by the dask executor"),
        (
            "executor: dask\n  scheduler: tcp://127.0.0.1:8786",
            "give 'cluster' (workers started as jobs) or 'scheduler', not both",
        ),
    ],
)
def test_a_cluster_is_for_the_dask_executor_alone(tmp_path, execution, expected):
    path = config_file(tmp_path, "{type: slurm, cores: 1, memory: 2GB, jobs: 1}")
    path.write_text(path.read_text().replace("executor: dask", execution))
    with pytest.raises(ConfigError, match=re.escape(f"line 5, execution: {expected}")):
        load_config(path)


def test_the_examples_of_the_readme_make_job_scripts(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### On a batch system", 1)[1].split("\n### ", 1)[0]
    examples = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert len(examples) == 2
    monkeypatch.chdir(tmp_path)  # where a log_directory of theirs is made
    scripts = []
    for example in examples:
        path = tmp_path / "example.yaml"
        path.write_text(HEAD.split("execution:")[0] + example)
        scripts.append(job_script(load_config(path).execution.cluster))
    htcondor, slurm = scripts
    assert '+JobFlavour = "workday"' in htcondor and "use_x509userproxy = True" in htcondor
    assert "--worker-port 10000:10100" in htcondor
    assert "#SBATCH -p standard" in slurm and "#SBATCH -t 04:00:00" in slurm


def test_jobscript_prints_the_script_and_submits_nothing(tmp_path, capsys):
    path = config_file(tmp_path, "{type: lsf, cores: 2, memory: 4GB, jobs: 3, queue: long}")
    assert main(["jobscript", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == job_script(load_config(path).execution.cluster)
    assert "#BSUB -q long" in out.splitlines()


def test_jobscript_of_a_file_without_a_cluster_says_so(tmp_path, capsys):
    path = config_file(tmp_path, "{type: lsf, cores: 2, memory: 4GB, jobs: 3}")
    path.write_text(HEAD.replace("  cluster:\n", ""))
    assert main(["jobscript", str(path)]) == 1
    assert "no execution.cluster to make a job script of" in capsys.readouterr().err


@contextlib.contextmanager
def port_held(port: int):
    """Port ``port`` of 127.0.0.1 held by a socket of ours, or by whoever holds it already."""
    with socket.socket() as held:
        with contextlib.suppress(OSError):  # in use already: held all the same
            held.bind(("127.0.0.1", port))
            held.listen()
        yield


def test_the_local_cluster_logs_its_dashboard_and_warns_of_no_port_in_use(caplog):
    with (
        port_held(8787),
        warnings.catch_warnings(record=True) as caught,
        caplog.at_level(logging.INFO, logger="opencoffea"),
    ):
        warnings.simplefilter("always")
        with dask_workers(Execution(executor="dask", workers=1)) as workers:
            assert workers.client.submit(sum, [1, 2]).result(timeout=60) == 3
            (link,) = [
                r.getMessage().removeprefix("dask dashboard: ")
                for r in caplog.records
                if r.name == "opencoffea.execution.daskworkers"
            ]
            with urllib.request.urlopen(link, timeout=10) as page:  # served, on its own port
                assert page.status == 200
    assert link.startswith("http://127.0.0.1:") and ":8787/" not in link
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "already in use" in m]


def test_the_command_shows_the_log_on_its_terminal(capsys):
    from opencoffea.cli.terminal import show_log

    show_log()
    show_log()  # once: a second call adds no second handler
    logging.getLogger("opencoffea.execution.clusters").info("dask dashboard: http://x/[status]")
    assert capsys.readouterr().err == "dask dashboard: http://x/[status]\n"


# A Slurm of this machine: sbatch runs the job script at once (from a copy: dask-jobqueue
# removes its file when sbatch returns), in a process group of its own, whose id is the
# job's (listed in the file "jobs"); scancel ends that group as Slurm ends a job: SIGTERM,
# then SIGKILL to what is left after its KillWait (here 10 s).
SBATCH = """\
#!/bin/sh
copy="$(dirname "$0")/job-$$.sh"
cp "$1" "$copy"
setsid /bin/sh "$copy" > "$copy.log" 2>&1 < /dev/null &
echo $! >> "$(dirname "$0")/jobs"
echo "Submitted batch job $!"
"""
SCANCEL = """\
#!/bin/sh
kill -TERM -- "-$1" 2>/dev/null || exit 0
(sleep 10; kill -KILL -- "-$1" 2>/dev/null) > /dev/null 2>&1 &
"""

# Jobs whose scheduler and workers talk over 127.0.0.1, in this Python.
LOOPBACK = {"interface": "lo", "python": sys.executable}


@pytest.fixture
def slurm(tmp_path, monkeypatch):
    """The stand-in Slurm on PATH (its folder); every job it started is ended after the test."""
    folder = tmp_path / "slurm"
    folder.mkdir()
    for name, text in (("sbatch", SBATCH), ("scancel", SCANCEL)):
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    # the jobs import this copy of the framework, as the driver does
    source = str(Path(__file__).resolve().parents[1] / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]))
    yield folder
    for group in _jobs(folder):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


@pytest.mark.slow
def test_batch_workers_join_with_the_framework_loaded_and_are_cancelled_after(slurm, tmp_path):
    spec = ClusterSpec(
        type="slurm", cores=2, memory="2GB", jobs=1, local_directory=str(tmp_path), **LOOPBACK
    )
    with cluster_client(spec) as client:
        client.wait_for_workers(2, timeout=120)
        facts = client.run(_worker_facts)
    assert list(facts.values()) == 2 * [
        {
            "framework loaded": True,
            "MALLOC_TRIM_THRESHOLD_": None,
            "profiler": False,
            "host": "127.0.0.1",
        }
    ]
    assert len(_jobs(slurm)) == 1
    assert _gone(_jobs(slurm), timeout=30)


@pytest.mark.slow
def test_a_run_on_batch_workers_gives_the_histograms_of_one_process(slurm, tmp_path, capsys):
    cluster = {"type": "slurm", "cores": 2, "memory": "2GB", "jobs": 1, **LOOPBACK}
    path = write_analysis(
        tmp_path,
        datasets={
            "DY": {
                "generate": {"process": "dy_mumu", "events": 4000, "seed": 5},
                "kind": "mc",
                "xsec": 6077.22,
            }
        },
        execution={"executor": "dask", "chunksize": 1000, "cluster": cluster},
    )
    assert main(["run", str(path), "--quiet", "--output", str(tmp_path / "out")]) == 0
    assert "slurm cluster of 1 job(s) (2 cores, 2GB each)" in capsys.readouterr().err
    batch = load_result(tmp_path / "out")
    assert batch.execution.settings.cluster == ClusterSpec(**cluster)
    reference = load_config(path)
    reference.execution = Execution(executor="iterative")  # the file's, without its cluster
    one_process = run(reference, status=False)
    assert_same_histograms(one_process.raw, batch.raw)
    assert batch.events_processed == one_process.events_processed == 4000
    assert _gone(_jobs(slurm), timeout=30)


def _worker_facts(dask_worker) -> dict:
    """What a worker is like (``client.run`` gives it its worker)."""
    import dask

    return {
        "framework loaded": "opencoffea.execution.processing" in sys.modules,
        "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "profiler": dask.config.get("distributed.worker.profile.enabled"),
        "host": dask_worker.ip,
    }


def _jobs(slurm: Path) -> list[int]:
    """The jobs the stand-in sbatch started: their process groups."""
    listed = slurm / "jobs"
    return [int(line) for line in listed.read_text().split()] if listed.exists() else []


def _gone(groups: list[int], timeout: float) -> bool:
    """Whether every process of these process groups has ended, within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [group for group in groups if _alive(group)]:
            return True
        time.sleep(0.5)
    return False


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
