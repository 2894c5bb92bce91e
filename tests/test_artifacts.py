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


def test_lock_of_a_killed_run_not_yet_reaped_is_taken_over(tmp_path):
    """A SIGKILLed run stays a zombie until its parent reaps it: `kill(pid, 0)` succeeds
    and its start time matches, so `timeout -s KILL` then a re-run was refused."""
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = artifacts._start_time(holder.pid)
        if started is None:
            pytest.skip("no /proc here: the process state cannot be read")
        (tmp_path / artifacts.LOCK).write_text(f"{holder.pid} {started}")
        holder.kill()
        for _ in range(200):    # until the kernel shows it as a zombie (not reaped yet)
            if artifacts._proc_stat(holder.pid)[:1] == ["Z"]:
                break
            time.sleep(0.01)
        with artifacts.RunLock(tmp_path):
            assert (tmp_path / artifacts.LOCK).read_text().split()[0] == str(os.getpid())
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_reused_pid_is_taken_over(tmp_path):
    """The pid is alive, but it is another process than the one that wrote the lock (it
    started at another time): a crashed run's lock, its pid reused."""
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = artifacts._start_time(holder.pid)
        if started is None:
            pytest.skip("no /proc here: the start time cannot be read")
        (tmp_path / artifacts.LOCK).write_text(f"{holder.pid} {int(started) - 1}")
        with artifacts.RunLock(tmp_path):
            assert (tmp_path / artifacts.LOCK).read_text().split()[0] == str(os.getpid())
        (tmp_path / artifacts.LOCK).write_text(f"{holder.pid} {started}")
        with pytest.raises(SummcheckError, match=f"pid {holder.pid}"):
            with artifacts.RunLock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_written_files_get_the_usual_mode(tmp_path):
    artifacts.write_json(tmp_path / "r.json", {})
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o666 & ~artifacts._UMASK
