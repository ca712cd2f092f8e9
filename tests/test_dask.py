"""`run --engine dask` (#17): the same per-photo function on a real Dask cluster, the local one the
command starts or one at a scheduler's address, gives the report records and the output files of
`--jobs 1`; the command says clearly what is wrong when Dask is missing or misused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from privacyscreen.cli import main

from .conftest import ROOT, SAMPLES

PHOTOS = ("astronaut.png", "grace_hopper.jpg", "coffee.png", "text.png")  # faces, faces in a JPEG, no people, text


@pytest.fixture(scope="module")
def distributed():
    """dask.distributed; the test is skipped without it, outside CI."""
    try:
        import distributed
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail('distributed is missing: pip install ".[test]" brings it')
        pytest.skip('no distributed here (pip install ".[cluster]"); CI runs this test')
    return distributed


def privacyscreen(*args: str | Path) -> subprocess.CompletedProcess:
    """The command line of this checkout, in a process of its own; the Dask workers it starts import
    this checkout too."""
    env = {k: v for k, v in os.environ.items() if k != "LANGUAGE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "privacyscreen", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def runs(distributed, tmp_path_factory) -> Path:
    """A folder holding `inbox` (four small photos, one in a subfolder, and an empty file), and
    `jobs-1` with `jobs-1.txt`: what `run --jobs 1` made of it and said. Every other run's output
    folder goes next to it, so the report's paths compare as they are."""
    base = tmp_path_factory.mktemp("dask")
    inbox = base / "inbox"
    (inbox / "team").mkdir(parents=True)
    for name in PHOTOS:
        shutil.copy(SAMPLES / name, inbox / ("team" if name.endswith(".jpg") else "") / name)
    (inbox / "empty.jpg").write_bytes(b"")  # an error record, also on the cluster
    done = privacyscreen("run", inbox, "--out", base / "jobs-1", "--jobs", "1")
    assert done.returncode == 1, done.stderr  # the empty file
    (base / "jobs-1.txt").write_text(done.stdout)
    return base


def records(out: Path) -> list[dict]:
    """The report's record of each file, without the seconds its stages took."""
    report = json.loads((out / "privacyscreen-report.json").read_text())
    return [{k: v for k, v in image.items() if k != "seconds"} for image in report["images"]]


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "privacyscreen-report.json"}  # fmt: skip


def assert_same_as_one_job(runs: Path, out: Path, done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 1, done.stderr  # the empty file, as with --jobs 1
    assert "Traceback" not in done.stderr and "INFO" not in done.stderr, done.stderr
    expected = records(runs / "jobs-1")
    assert [(Path(r["source"]).name, r["verdict"]) for r in expected] == [
        ("astronaut.png", "needs-consent"), ("coffee.png", "no-people"), ("empty.jpg", "error"),
        ("text.png", "no-people"), ("grace_hopper.jpg", "needs-consent"),
    ]  # fmt: skip
    assert any(f["kind"] == "face" and f["action"] == "redacted" for r in expected for f in r["findings"])
    assert records(out) == expected  # verdicts, findings with their boxes, reasons, outputs and their sha256
    assert files(out) == files(runs / "jobs-1") and len(files(out)) == 4  # byte for byte
    said = (runs / "jobs-1.txt").read_text().splitlines()
    assert done.stdout.splitlines()[:5] == said[:5]  # a line per file, in plan order, the path as given


def test_a_local_cluster_of_two_workers_makes_what_one_job_makes(runs):
    out = runs / "local"
    assert_same_as_one_job(runs, out, privacyscreen("run", runs / "inbox", "--out", out, "--engine", "dask",
                                                    "--jobs", "2"))  # fmt: skip


def test_the_workers_of_a_running_scheduler_make_what_one_job_makes(runs, distributed, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    out = runs / "scheduler"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        done = privacyscreen("run", runs / "inbox", "--out", out, "--engine", "dask", "--scheduler",
                             cluster.scheduler_address)  # fmt: skip
        with distributed.Client(cluster) as client:
            screeners = client.run(lambda: sys.modules["privacyscreen.screen"]._worker is not None)
    assert_same_as_one_job(runs, out, done)
    assert list(screeners.values()) == [True, True]  # both workers screened photos, each with its Screener


def test_a_scheduler_goes_with_the_engine_dask_and_not_with_consent(tmp_path):
    run = ["run", str(SAMPLES / "coffee.png"), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:8786"]
    done = CliRunner().invoke(main, run)
    assert done.exit_code == 2 and "--scheduler goes with --engine dask" in done.output
    done = CliRunner().invoke(main, [*run, "--engine", "dask", "--keep", "faces", "--channel", "intranet",
                                     "--consent", "F-1", "--register", str(tmp_path / "r.sqlite")])  # fmt: skip
    assert done.exit_code == 2 and "--consent cannot be used with --scheduler" in done.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("lang, says", [("en", "Dask, which is not installed"), ("nl", "niet geïnstalleerd")])
def test_the_engine_dask_without_dask_says_how_to_install_it(tmp_path, monkeypatch, lang, says):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed: importing it fails
    done = CliRunner().invoke(main, ["run", str(SAMPLES / "coffee.png"), "--out", str(tmp_path / "out"),
                                     "--engine", "dask", "--lang", lang])  # fmt: skip
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), done.output
    assert says in done.output and 'pip install "privacyscreen[cluster]"' in done.output
    assert not (tmp_path / "out").exists()  # said before anything is made


def test_a_scheduler_out_of_reach_is_a_clear_error(tmp_path, distributed):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        done = CliRunner().invoke(main, ["run", str(SAMPLES / "coffee.png"), "--out", str(tmp_path / "out"),
                                         "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])  # fmt: skip
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), done.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.output


def test_a_worker_with_another_version_of_privacyscreen_is_refused(tmp_path, distributed, monkeypatch):
    from privacyscreen import engines

    monkeypatch.setattr(engines, "__version__", "0.0.1")  # this side only: the worker runs the checkout's
    done = CliRunner().invoke(main, ["run", str(SAMPLES / "coffee.png"), "--out", str(tmp_path / "out"),
                                     "--engine", "dask", "--jobs", "1"])  # fmt: skip
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), done.output
    assert "every Dask worker must run privacyscreen 0.0.1" in done.output
    assert not (tmp_path / "out" / "coffee.png").exists()
