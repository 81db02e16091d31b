"""Runs the tracing agent on one script in a sandboxing subprocess and turns what it leaves into a TraceResult.

This module owns the process: interpreter, working directory, environment, output capture, timeout and
cleanup. The agent (`agent.py`, started by file path in the user's interpreter) owns what happens inside.

- The child gets cwd = the script's folder, stdin from /dev/null, and stdout+stderr redirected to one
  temporary file (a file cannot fill up and deadlock the way a pipe can); `output` keeps its last 64 KiB.
- The child leads a new session (its own process group). Whatever happens, that group is killed when
  the agent ends, so processes the script started die with it. On POSIX the exited agent is left
  unreaped (waitid WNOWAIT) until the group is killed, so its id cannot be reused by another group first.
- Results count only if trace.json exists (the agent writes it last). Otherwise: "timeout" when the
  deadline passed, else "crashed" with the exit code and the tail of the output.
- The temporary directory is removed afterwards.

`trace_script` never raises for problems of the user's code or interpreter; those become statuses.
It raises only for programmer errors (e.g. a non-positive timeout).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nanscope.analysis.graph import GraphLoadError, graph_from_bytes
from nanscope.analysis.tracing.result import CRASHED, STATUSES, TIMEOUT, Frame, TraceResult

AGENT = Path(__file__).resolve().with_name("agent.py")
OUTPUT_TAIL_BYTES = 64 * 1024
ERROR_TAIL_LINES = 20


def trace_script(script: Path, *, interpreter: str | None = None, project_root: Path | None = None,
                 timeout: float = 120.0) -> TraceResult:
    """Run `script` under the agent in `interpreter` (default: this one) until its first Session.run.

    `project_root` (default: the script's folder) is appended to the script's sys.path.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    script = Path(script).absolute()
    root = Path(project_root).absolute() if project_root is not None else script.parent
    interpreter = interpreter or sys.executable
    started = time.monotonic()
    if not script.is_file():
        return TraceResult(None, {}, "failed", f"{script} is not a file", "", 0.0)

    with tempfile.TemporaryDirectory(prefix="nanscope-trace-") as temporary:
        out_dir = Path(temporary) / "out"
        out_dir.mkdir()
        log_path = Path(temporary) / "output.log"
        command = [interpreter, str(AGENT), "--script", str(script), "--out", str(out_dir),
                   "--project-root", str(root)]
        with open(log_path, "wb") as log:
            try:
                process = subprocess.Popen(command, cwd=script.parent, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, env=_child_environment(),
                                           start_new_session=True)
            except OSError as error:
                return TraceResult(None, {}, CRASHED, f"cannot start the interpreter {interpreter}: {error}",
                                   "", time.monotonic() - started)
            try:
                finished = _wait_unreaped(process, started + timeout)
            finally:
                _kill_group(process)
                returncode = process.wait()
        seconds = time.monotonic() - started
        output = _read_tail(log_path, OUTPUT_TAIL_BYTES)
        record = _read_record(out_dir / "trace.json")

        if record is None:
            if not finished:
                error = f"the script did not reach Session.run or finish within {timeout:g} s"
                return TraceResult(None, {}, TIMEOUT, error, output, seconds)
            return TraceResult(None, {}, CRASHED, _crash_message(returncode, output), output, seconds)

        graph, graph_bytes, error = None, None, record.get("error")
        graph_path = out_dir / "graph.pb"
        if graph_path.is_file():
            graph_bytes = graph_path.read_bytes()
            try:
                graph = graph_from_bytes(graph_bytes, source="the traced graph")
            except GraphLoadError as load_error:
                graph_bytes = None
                error = f"{error}\n{load_error}" if error else str(load_error)
        return TraceResult(
            graph=graph,
            frames={name: _frames(triples) for name, triples in record.get("frames", {}).items()},
            status=record["status"],
            error=error,
            output=output,
            seconds=seconds,
            error_frames=_frames(record.get("error_frames") or ()),
            mode=record.get("mode"),
            tf_version=record.get("tf_version"),
            graph_bytes=graph_bytes,
        )


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONUNBUFFERED="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _wait_unreaped(process: subprocess.Popen, deadline: float) -> bool:
    """Wait until the process exits or the deadline passes; True if it exited.

    Where waitid exists the exited process is not reaped, so its pid (= its process group id) stays
    reserved until `_kill_group` has run.
    """
    if not hasattr(os, "waitid"):
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        return True
    delay = 0.001
    while True:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.05)


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the agent's whole process group (it leads its own session); fall back to the process alone."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(process.pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass
    if process.returncode is None:
        try:
            process.kill()
        except ProcessLookupError:
            pass


def _read_tail(path: Path, limit: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - limit))
        data = handle.read()
    if size > limit:
        data = data.lstrip(bytes(range(0x80, 0xC0)))   # drop a UTF-8 sequence cut in half by the limit
    return data.decode("utf-8", errors="replace")


def _read_record(path: Path) -> dict[str, Any] | None:
    """trace.json as a dict, or None when it is missing or not what the agent writes."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or record.get("status") not in STATUSES:
        return None
    if not isinstance(record.get("frames", {}), dict):
        return None
    return record


def _frames(triples: Any) -> tuple[Frame, ...]:
    return tuple(Frame(str(filename), int(lineno), str(function)) for filename, lineno, function in triples)


def _crash_message(returncode: int, output: str) -> str:
    if returncode < 0:
        try:
            how = f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with code {returncode}"
    message = f"the tracer {how} without writing results"
    tail = output.rstrip().splitlines()[-ERROR_TAIL_LINES:]
    if tail:
        message += "; last output:\n" + "\n".join(tail)
    return message
