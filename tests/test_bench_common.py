"""bench/common.py's gunicorn launcher and /proc readers, which every bench script uses
(bench/stress.py, outage.py, memory.py, compare.py, board.py): gunicorn starts with the
production check's trial settings, answers, and leaves no process behind."""

import http.client
import os
import time

import pytest

from bench.common import (
    process_children,
    process_memory,
    process_tree_cpu,
    serve,
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie not yet reaped by its parent counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_serve_starts_gunicorn_ready_and_stops_its_whole_process_group(tmp_path):
    env = {"INCUBATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'bench.db'}",
           "INCUBATOR_INSTANCE_PATH": str(tmp_path)}
    with serve(env, workers=2) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        connection.close()
        # Ready means one worker answered; the master may still be forking the other.
        deadline = time.monotonic() + 30
        while len(workers := process_children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2
        memory = process_memory(workers[0])
        assert memory["VmRSS"] > 10 and memory["VmHWM"] >= memory["VmRSS"]
        assert 0 < memory["Uss"] <= memory["VmRSS"]
        assert process_tree_cpu([server.pid]) > 0
    assert not _alive(server.pid)
    assert not any(_alive(pid) for pid in workers)


def test_a_gunicorn_that_cannot_start_is_reported_with_its_log(tmp_path):
    # A key shorter than 32 characters: the production check refuses to start.
    env = {"INCUBATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'bench.db'}",
           "INCUBATOR_SECRET_KEY": "short"}
    with pytest.raises(RuntimeError, match="INCUBATOR_SECRET_KEY"), serve(env, workers=1):
        pass


def test_process_readers_skip_nothing_of_the_current_process():
    assert os.getpid() in process_children(os.getppid())
    assert process_memory(os.getpid())["VmRSS"] > 0
    with pytest.raises(OSError):
        process_memory(2**22 + 1)
