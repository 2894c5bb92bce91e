import os
import subprocess
import sys
import time

import pytest

from summcheck import artifacts
from summcheck.errors import SummcheckError


def test_atomic_write_leaves_no_temp_files(tmp_path):
    artifacts.write_json(tmp_path / "r.json", {"a": 1})
    artifacts.write_jsonl(tmp_path / "s.jsonl", [{"x": 1}, {"x": 2}])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "s.jsonl"]
    assert artifacts.read_json(tmp_path / "r.json") == {"a": 1}
    assert list(artifacts.read_jsonl(tmp_path / "s.jsonl")) == [{"x": 1}, {"x": 2}]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "r.json"
    artifacts.write_json(target, {"old": True})
    with pytest.raises(TypeError):
        artifacts.write_json(target, {"bad": object()})
    assert artifacts.read_json(target) == {"old": True}


def test_lock_refuses_a_live_holder_and_is_released(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / artifacts.LOCK).write_text(str(holder.pid))
        with pytest.raises(SummcheckError, match="another summcheck run"):
            with artifacts.RunLock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_from_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / artifacts.LOCK).write_text(str(dead.pid))
    with artifacts.RunLock(tmp_path):
        assert (tmp_path / artifacts.LOCK).read_text().split()[0] == str(os.getpid())
    assert not (tmp_path / artifacts.LOCK).exists()


@pytest.fixture()
def holder():
    """(a live process, its start time as /proc tells it); skipped without /proc."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = artifacts._start_time(process.pid)
        if started is None:
            pytest.skip("no /proc here: the start time cannot be read")
        yield process, started
    finally:
        process.kill()
        process.wait()


def test_lock_of_a_killed_run_not_yet_reaped_is_taken_over(tmp_path, holder):
    """A SIGKILLed run stays a zombie until its parent reaps it: `kill(pid, 0)` succeeds
    and its start time matches, so `timeout -s KILL` then a re-run was refused."""
    process, started = holder
    (tmp_path / artifacts.LOCK).write_text(f"{process.pid} {started}")
    process.kill()
    for _ in range(200):    # until the kernel shows it as a zombie (not reaped yet)
        if artifacts._proc_stat(process.pid)[:1] == ["Z"]:
            break
        time.sleep(0.01)
    with artifacts.RunLock(tmp_path):
        assert (tmp_path / artifacts.LOCK).read_text().split()[0] == str(os.getpid())


def test_lock_of_a_reused_pid_is_taken_over(tmp_path, holder):
    """The pid is alive, but it is another process than the one that wrote the lock (it
    started at another time): a crashed run's lock, its pid reused."""
    process, started = holder
    (tmp_path / artifacts.LOCK).write_text(f"{process.pid} {int(started) - 1}")
    with artifacts.RunLock(tmp_path):
        assert (tmp_path / artifacts.LOCK).read_text().split()[0] == str(os.getpid())
    (tmp_path / artifacts.LOCK).write_text(f"{process.pid} {started}")
    with pytest.raises(SummcheckError, match=f"pid {process.pid}"):
        with artifacts.RunLock(tmp_path):
            pass


def test_written_files_get_the_usual_mode(tmp_path):
    artifacts.write_json(tmp_path / "r.json", {})
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o666 & ~artifacts._UMASK


def _run_with_checks(root, name):
    """A two-summarizer run folder (fake_runs) that ran checks: one check row per summary."""
    from fake_runs import BASE, SIGNATURES, make_run, values

    run_dir = make_run(root, name, {label: {"rouge2_f": values(BASE)}
                                    for label in ("lead-3", "other")},
                       signatures={**SIGNATURES, "consistency": "consistency|test"})
    artifacts.write_jsonl(run_dir / artifacts.CHECKS, [
        {"summarizer": r["summarizer"], "example_id": r["example_id"], "findings": [],
         "supported": {}} for r in artifacts.read_jsonl(run_dir / artifacts.SCORES)])
    return run_dir


def _keep_rows(path, keep):
    artifacts.write_jsonl(path, [r for i, r in enumerate(artifacts.read_jsonl(path)) if keep(i, r)])


@pytest.mark.parametrize("damage, message", [
    ("checks.jsonl deleted", "no checks.jsonl, though results.json says the run ran checks"),
    ("scores.jsonl emptied", "scores.jsonl has 0 rows, results.json says 40 "
                             "(20 examples x 2 summarizers)"),
    ("examples.jsonl cut short", "examples.jsonl has 5 rows, results.json says 20 (n_examples)"),
    ("one summarizer's score rows removed", "scores.jsonl has 30 rows, results.json says 40"),
    ("a summary row removed", "summaries.jsonl has 39 rows, results.json says 40"),
])
@pytest.mark.parametrize("command", ["report", "compare"])
def test_readers_refuse_a_run_folder_whose_files_lost_rows(tmp_path, damage, message, command):
    from typer.testing import CliRunner

    from summcheck.cli import app

    intact, run_dir = _run_with_checks(tmp_path, "intact"), _run_with_checks(tmp_path, "run")
    if damage == "checks.jsonl deleted":
        (run_dir / artifacts.CHECKS).unlink()
    elif damage == "scores.jsonl emptied":
        (run_dir / artifacts.SCORES).write_bytes(b"")
    elif damage == "examples.jsonl cut short":
        _keep_rows(run_dir / artifacts.EXAMPLES, lambda i, r: i < 5)
    elif damage.startswith("one summarizer"):
        _keep_rows(run_dir / artifacts.SCORES,
                   lambda i, r: r["summarizer"] != "other" or i % 2)
    else:
        _keep_rows(run_dir / artifacts.SUMMARIES, lambda i, r: i != 7)
    args = ([command, str(run_dir), "--out", str(tmp_path / "rep")] if command == "report"
            else [command, str(intact), str(run_dir)])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"{run_dir}: damaged run folder: {message}" in result.output
    assert "Re-run `summcheck run`" in result.output


def test_row_counts_allow_blank_lines_and_a_run_without_checks(tmp_path):
    from fake_runs import BASE, make_run, values

    run_dir = make_run(tmp_path, "run", {"lead-3": {"rouge2_f": values(BASE)}})
    with (run_dir / artifacts.SCORES).open("a") as handle:
        handle.write("\n")
    (run_dir / artifacts.CHECKS).unlink(missing_ok=True)
    assert artifacts.load_run(run_dir).labels() == ["lead-3"]


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target.name)
    artifacts.write_json(link, {"new": 1})
    assert link.is_symlink() and artifacts.read_json(target) == {"new": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "target.json"]


@pytest.mark.parametrize("kind, message", [("directory", "is a directory"),
                                           ("fifo", "not a regular file"),
                                           ("link to a fifo", "not a regular file")])
def test_a_path_that_is_not_a_file_is_refused_by_its_name(tmp_path, kind, message):
    """The rename replaced whatever stood at the path: a directory gave an error naming
    the temp file, and a device or pipe was replaced by a regular file."""
    path = tmp_path / "out.json"
    fifo = tmp_path / "fifo" if kind == "link to a fifo" else path
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(fifo)
    if fifo != path:
        path.symlink_to(fifo.name)
    with pytest.raises(SummcheckError, match=message) as caught:
        artifacts.write_json(path, {"a": 1})
    assert str(caught.value).startswith(f"{path}: ")
    assert path.is_dir() if kind == "directory" else fifo.is_fifo()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("command", ["regress", "baseline", "compare"])
@pytest.mark.parametrize("failure", ["directory", "disk full"])
def test_an_out_write_failure_names_the_users_path_without_resume_advice(
        tmp_path, monkeypatch, command, failure):
    import errno

    from typer.testing import CliRunner

    from fake_runs import BASE, make_run, values
    from summcheck.cli import app

    run_dir = make_run(tmp_path, "run", {"lead-3": {"rouge2_f": values(BASE)}})
    out = tmp_path / "out"
    if failure == "directory":
        out.mkdir()
    else:
        def full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(artifacts.os, "fsync", full)
    args = {"regress": ["regress", str(run_dir), "--baseline", str(run_dir)],
            "baseline": ["baseline", str(run_dir)],
            "compare": ["compare", str(run_dir), str(run_dir)]}[command]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    reason = "is a directory" if failure == "directory" else "No space left on device"
    assert f"error: {out}: {reason}" in result.output
    assert ".tmp" not in result.output and "resume" not in result.output
