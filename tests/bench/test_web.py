"""The load bench's own accounting (bench/web.py): the server's CPU counts workers that were recycled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bench.web import descendants, tree_cpu_seconds


def _write_stat(proc: Path, pid: int, ppid: int, utime: int, stime: int, cutime: int, cstime: int) -> None:
    """A /proc/<pid>/stat line as proc(5) lays it out (the command name may hold spaces and parentheses)."""
    (proc / str(pid)).mkdir(parents=True)
    fields = ["S", str(ppid), *["0"] * 9, str(utime), str(stime), str(cutime), str(cstime), "20", "0"]
    (proc / str(pid) / "stat").write_text(f"{pid} (gunicorn: w (x)) " + " ".join(fields) + "\n")


def test_the_tree_counts_live_time_and_the_reaped_childrens_time(tmp_path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    _write_stat(tmp_path, 10, 1, utime=1 * ticks, stime=0, cutime=0, cstime=0)  # kinlink serve
    # gunicorn's master: it reaped a recycled worker that had used 7 s (5 user, 2 system)
    _write_stat(tmp_path, 11, 10, utime=0, stime=0, cutime=5 * ticks, cstime=2 * ticks)
    _write_stat(tmp_path, 12, 11, utime=3 * ticks, stime=1 * ticks, cutime=0, cstime=0)  # a live worker
    _write_stat(tmp_path, 99, 1, utime=50 * ticks, stime=0, cutime=0, cstime=0)  # not the server's
    (tmp_path / "self").mkdir()  # not a process folder
    assert sorted(descendants(10, tmp_path)) == [10, 11, 12]
    assert tree_cpu_seconds(10, tmp_path) == 1 + 7 + 4


def test_a_child_that_ended_keeps_counting(tmp_path: Path) -> None:
    """A parent that starts a child burning CPU, reaps it, then waits: the tree's time does not drop
    when the child is gone (the sum of the live processes' own times would fall to about nothing)."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import subprocess, sys, time
                subprocess.run([sys.executable, "-c",
                                "import time\\nend = time.process_time() + 0.4\\n"
                                "while time.process_time() < end: pass"], check=True)
                print("reaped", flush=True)
                time.sleep(30)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "reaped"
        assert descendants(parent.pid) == [parent.pid]  # the child is gone
        ticks = os.sysconf("SC_CLK_TCK")
        fields = Path(f"/proc/{parent.pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / ticks
        counted = tree_cpu_seconds(parent.pid)
        assert counted >= 0.4
        assert counted - own >= 0.35  # the child's burn, in the parent's reaped-children time
        time.sleep(0.05)
        assert tree_cpu_seconds(parent.pid) >= counted
    finally:
        parent.kill()
        parent.wait()
