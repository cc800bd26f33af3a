"""The web app's start drops the metrics files of dead processes only: a running worker's
file (its live counters) stays."""
import os
import subprocess
import sys

from app.metrics import prune_dead_files


def test_only_files_of_dead_processes_are_removed(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    live, dead = os.getpid(), gone.pid
    names = [f"counter_{live}.db", f"histogram_{live}.db", f"counter_{dead}.db",
             f"gauge_livesum_{dead}.db", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("x")
    prune_dead_files(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"counter_{live}.db", f"histogram_{live}.db", "notes.txt"])
