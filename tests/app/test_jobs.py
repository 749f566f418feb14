"""ui.jobs: a page's background work, its progress and its outcome."""

from __future__ import annotations

import threading

from paii_core.errors import FormatError
from ui import jobs


def _wait(job: jobs.Job) -> jobs.Job:
    for _ in range(200):
        if job.state()[2]:
            return job
        threading.Event().wait(0.05)
    raise AssertionError(f"{job.label} did not end")


def test_a_job_reports_progress_then_its_result():
    gate = threading.Event()

    def work(progress):
        progress(0.4, "halfway")
        assert gate.wait(10)
        return 42

    job = jobs.start("Counting", "uw", work)
    assert jobs.find(job.id) is job and job.user == "uw"
    while job.state()[1] != "halfway":
        threading.Event().wait(0.01)
    assert job.state()[:3] == (0.4, "halfway", False)
    gate.set()
    assert _wait(job).state() == (1.0, "halfway", True, 42, None)


def test_errors_are_kept_as_the_user_should_read_them(caplog):
    def bad_file(progress):
        raise FormatError("/data/x.tif", "has no CRS", "save it with its CRS")

    def bug(progress):
        raise ZeroDivisionError("division by zero")

    told = _wait(jobs.start("Reading", "uw", bad_file))
    assert told.state()[4] == "/data/x.tif: has no CRS. Fix: save it with its CRS"
    crashed = _wait(jobs.start("Mapping", "uw", bug))
    assert crashed.state()[4].startswith(
        "Mapping stopped on an unexpected error (ZeroDivisionError: division by zero). Fix:"
    )
    assert "Mapping failed" in caplog.text  # with its traceback, for the administrator


def test_old_finished_jobs_are_let_go_and_unknown_ids_are_none():
    first = _wait(jobs.start("Job 0", "uw", lambda progress: 0))
    for i in range(jobs._KEEP + 2):
        _wait(jobs.start(f"Job {i + 1}", "uw", lambda progress: 0))
    assert jobs.find(first.id) is None
    assert jobs.find(None) is None and jobs.find("no-such-job") is None
