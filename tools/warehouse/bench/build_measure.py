"""Measuring one step of the warehouse benchmark: a command run to completion, or a block of Python.

A step's figures are its wall seconds, its CPU seconds (user + system, the process and every
descendant it waited for), the peak resident memory of its whole process tree (sampled from /proc
every quarter second, and never below the largest single process's exact peak from wait4), and the
machine's load average at its start and end and averaged over the step. The machine is shared:
wall time inflates with load, CPU time much less, so both are reported and a reader can tell a
slow step from a busy machine.

    step = measured(["tally-datagen", "generate", ...], cwd, env, log_path)
    step["wall_s"], step["cpu_s"], step["peak_rss_mb"], step["load"]["mean"]
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SAMPLE_EVERY_S = 0.25


class StepFailed(RuntimeError):
    """A measured command exited non-zero; the message ends with the tail of its log."""


def load_average() -> float:
    """The 1-minute load average."""
    return round(os.getloadavg()[0], 2)


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after its last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, now."""
    children = _children_map()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, ()))
        try:
            with open(f"/proc/{current}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_BYTES
        except (OSError, IndexError, ValueError):
            continue
    return total


class _Sampler(threading.Thread):
    """Peak process-tree RSS and the load average, sampled until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.loads: list[float] = []
        self._done = threading.Event()

    def run(self) -> None:
        last_load = 0.0
        while not self._done.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            now = time.monotonic()
            if now - last_load >= 5:
                self.loads.append(load_average())
                last_load = now
            self._done.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _load_record(start: float, samples: list[float]) -> dict:
    end = load_average()
    every = [start, *samples, end]
    return {"start": start, "end": end, "mean": round(sum(every) / len(every), 2), "max": max(every)}


def measured(command: list[str], cwd: Path, env: dict[str, str], log: Path, check: bool = True) -> dict:
    """Run a command to completion, its output to `log`; its wall, CPU, peak memory and load."""
    log.parent.mkdir(parents=True, exist_ok=True)
    load_start = load_average()
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen([str(c) for c in command], cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
        sampler = _Sampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code
    largest_process = usage.ru_maxrss * 1024  # kilobytes on Linux
    result = {
        "command": " ".join(str(c) for c in command),
        "exit_code": exit_code,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(max(sampler.peak, largest_process) / 2**20, 1),
        "largest_process_rss_mb": round(largest_process / 2**20, 1),
        "load": _load_record(load_start, sampler.loads),
        "log": str(log),
    }
    if check and exit_code != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise StepFailed(f"{result['command']} failed (exit {exit_code}):\n  " + "\n  ".join(tail))
    return result


@contextmanager
def measured_block() -> Iterator[dict]:
    """Time a block of Python in this process: wall, CPU and load (memory is not isolated here)."""
    record: dict = {}
    load_start = load_average()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    yield record
    wall = time.perf_counter() - started
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    record.update({
        "wall_s": round(wall, 3),
        "cpu_s": round((cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime), 3),
        "load": _load_record(load_start, []),
    })
