"""`summcheck run --backend ray --address HEAD` on a real two-node Ray cluster: a head and
a second node started with `ray start` on this machine, with token authentication, as
docs/ray.md tells users to. The run's per-example rows equal a local run's, and both
nodes did work.

Each node reserves 1 CPU and the config asks for 2 actors per summarizer and 2 scoring
tasks at a time, each of 1 CPU: Ray has to place one on each node. Each node has its own
temp dir, so its worker logs show what ran there. The token is generated here and given
through RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH: ~/.ray is neither read nor written.

Both runs go 4 examples per local window (the runner's window set in the subprocess),
so the 17 bundled stories take several windows. Marked `ray_cluster` (and `slow`); skipped
without the ray extra.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ray_cluster, pytest.mark.slow]

RAY = Path(sys.executable).with_name("ray")
WINDOW = 4   # the local backend's window in both runs (the runner's default is 1,024)
# A driver with a small window: the same CLI, the runner's window set first.
DRIVER = ("import sys; import summcheck.runner as r; r._WINDOW = int(sys.argv.pop(1)); "
          "from summcheck.cli import app; app(prog_name='summcheck')")


def config_text(t5_dir) -> str:
    return f"""
name: ray-cluster
dataset: {{source: bundled}}
summarizers:
  - {{type: lead, name: lead-3}}
  - {{type: hf-seq2seq, name: tiny-t5, model: {t5_dir}, prefix: "summarize: ", batch_size: 2,
      generation: {{max_new_tokens: 12, min_new_tokens: 4, do_sample: false}}}}
checks: {{numbers: {{}}, entities: {{}}}}
bootstrap: {{n: 200, seed: 1}}
report: {{enabled: false}}
ray:
  concurrency: 2
  scoring_concurrency: 2
  scoring_batch_size: 2
  summarizers: {{lead-3: {{batch_size: 1}}}}
"""


class Node:
    """`ray start --block` in its own process group: SIGTERM stops the node and every
    process it started; SIGKILL to the group if it does not stop in time."""

    def __init__(self, args: list[str], temp_dir: Path, env: dict, log: Path):
        self.temp_dir = temp_dir
        self.log = log
        self.proc = subprocess.Popen(
            [str(RAY), "start", "--block", f"--temp-dir={temp_dir}", "--num-cpus=1",
             "--disable-usage-stats", *args],
            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)   # whatever is left of this node
        except ProcessLookupError:
            pass
        self.proc.wait()

    def worker_logs(self) -> str:
        return "".join(p.read_text(errors="replace")
                       for p in self.temp_dir.glob("session_*/logs/worker-*.out"))


def _wait_for(what: str, check, nodes: list[Node], timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for node in nodes:
            if node.proc.poll() is not None:
                raise RuntimeError(f"ray start exited: {node.log.read_text()[-3000:]}")
        time.sleep(0.5)
    raise TimeoutError(f"{what} within {timeout} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(head address, driver env, [head, second node]) of a running two-node cluster."""
    pytest.importorskip("ray")
    if not RAY.exists():
        pytest.skip(f"no ray command next to {sys.executable}")
    # short paths: Ray's Unix sockets live under the temp dir (a 107-byte limit)
    root = Path(tempfile.mkdtemp(prefix="rc-", dir="/tmp"))
    logs = tmp_path_factory.mktemp("ray-logs")
    token_file = root / "token"
    token_file.write_text(secrets.token_hex(32))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RAY_") or k == "RAY_DEDUP_LOGS"}
    # every process of the cluster: token mode, this token, this temp dir (not /tmp/ray,
    # where another Ray on this machine would find it)
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token_file),
               RAY_TMPDIR=str(root))
    nodes: list[Node] = []
    try:
        nodes.append(Node(["--head", "--port=0", "--include-dashboard=false"],
                          root / "head", env, logs / "head.log"))
        address_file = root / "head" / "ray_current_cluster"
        address = _wait_for("the head's address", lambda: address_file.exists()
                            and address_file.read_text().strip(), nodes)
        nodes.append(Node([f"--address={address}"], root / "node2", env, logs / "node2.log"))
        _wait_for("two nodes", lambda: _alive_nodes(address, env) == 2, nodes)
        yield address, env, nodes
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(root, ignore_errors=True)


def _alive_nodes(address: str, env: dict) -> int:
    code = ("import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
            "print(sum(n['Alive'] for n in ray.nodes()))")
    out = subprocess.run([sys.executable, "-c", code, address], env=env,
                         capture_output=True, text=True, timeout=60)
    return int(out.stdout.strip() or 0) if out.returncode == 0 else 0


def summcheck(args: list[str], *, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", DRIVER, str(WINDOW), *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def untimed(rows: list[dict]) -> list[dict]:
    return [{**row, "seconds": None} for row in rows]


def test_two_node_cluster_run_equals_local_run(tmp_path, cluster, tiny_t5_dir):
    pytest.importorskip("spacy")
    address, cluster_env, nodes = cluster
    config = tmp_path / "cluster.yaml"
    config.write_text(config_text(tiny_t5_dir))
    local_env = {k: v for k, v in cluster_env.items() if not k.startswith("RAY_")}
    local = summcheck(["run", str(config), "--out", "local", "--cache-dir", "local-cache",
                       "--no-progress"], env=local_env, cwd=tmp_path)
    assert local.returncode == 0, local.stderr

    # the driver as a user on a node runs it: the token where Ray looks for it (here a
    # path), RAY_AUTH_MODE unset (summcheck turns token mode on when it finds a token)
    driver_env = {k: v for k, v in cluster_env.items() if k != "RAY_AUTH_MODE"}
    remote = summcheck(["run", str(config), "--backend", "ray", "--address", address,
                        "--out", "ray", "--cache-dir", "ray-cache", "--no-progress"],
                       env=driver_env, cwd=tmp_path)
    assert remote.returncode == 0, remote.stderr

    (local_dir,) = (tmp_path / "local").iterdir()
    ray_dir = tmp_path / "ray" / local_dir.name   # same spec and data: same run folder
    for name in ("examples.jsonl", "scores.jsonl", "checks.jsonl"):
        assert read_jsonl(ray_dir / name) == read_jsonl(local_dir / name), name
    assert untimed(read_jsonl(ray_dir / "summaries.jsonl")) == \
        untimed(read_jsonl(local_dir / "summaries.jsonl"))
    results = json.loads((ray_dir / "results.json").read_text())
    assert results["backend"] == "ray" and results["n_examples"] == 17
    t5 = results["summarizers"][1]
    assert t5["n_generated"] == 17 and t5["n_failed"] == 0 and t5["n_bullets"] > 0

    # both nodes ran summarizer actors and scoring tasks (Ray's marker lines in the
    # worker logs of each node's own temp dir)
    for node in nodes:
        logs = node.worker_logs()
        assert ":actor_name:SummarizeActor" in logs, node.temp_dir
        assert ":task_name:score_chunk" in logs, node.temp_dir
