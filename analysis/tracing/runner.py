"""Runs the tracing agent on one entry point in a sandboxing subprocess and turns what it leaves into a
TraceResult.

This module owns the process: interpreter, working directory, environment, limits, output capture, timeout
and cleanup. The agent (`agent.py`, started by file path in the user's interpreter) owns what happens inside.

- The child gets cwd = the script's folder (the project root for a function entry point), stdin from
  /dev/null, no GPU (CUDA_VISIBLE_DEVICES=""), and stdout+stderr redirected to one temporary file (a file
  cannot fill up and deadlock the way a pipe can); `output` keeps its last 64 KiB.
- Limits: `timeout` (default 60 s) for the whole trace, and `memory_limit_mb` (default 4096), which the agent
  applies to itself as RLIMIT_DATA before importing TensorFlow (RLIMIT_AS would fail TensorFlow's import:
  it reserves far more address space than it uses); allocations beyond it fail with MemoryError or
  TensorFlow's ResourceExhaustedError, and the trace reports that as a failure.
- The child leads a new session (its own process group). Whatever happens, that group is killed when
  the agent ends, so processes the script started die with it. On POSIX the exited child is left
  unreaped (waitid WNOWAIT) until the group is killed, so its id cannot be reused by another group first.
- On Linux the child is a small supervisor (`worker.py --supervise`, run by this interpreter, standard
  library only) that starts the agent in its group and is a child subreaper: processes the script started
  that left the group or the session (setsid) are re-parented to it when their parent dies, and it kills
  and reaps every one of them when the agent ends. On timeout the runner asks it (SIGTERM) to end the
  trace, waits `KILL_GRACE` seconds at most, then kills the group anyway. Elsewhere the agent is the child.
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
from nanscope.analysis.tracing.result import (
    CRASHED,
    STATUSES,
    TIMEOUT,
    EntryPoint,
    Frame,
    TraceResult,
    VariableInfo,
)

AGENT = Path(__file__).resolve().with_name("agent.py")
SUPERVISOR = Path(__file__).resolve().with_name("worker.py")      # its `--supervise` mode
SUPERVISED = sys.platform.startswith("linux")
KILL_GRACE = 10.0                  # seconds the supervisor gets to kill and reap the trace's processes
OUTPUT_TAIL_BYTES = 64 * 1024
ERROR_TAIL_LINES = 20
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_LIMIT_MB = 4096     # RLIMIT_DATA of the traced process (0: none)


def trace_script(script: Path, *, interpreter: str | None = None, project_root: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> TraceResult:
    """Run `script` under the agent in `interpreter` (default: this one) until training would start.

    `project_root` (default: the script's folder) is appended to the script's sys.path.
    """
    return trace_entry_point(EntryPoint(Path(script)), interpreter=interpreter, project_root=project_root,
                             timeout=timeout, memory_limit_mb=memory_limit_mb)


def trace_entry_point(entry: EntryPoint, *, interpreter: str | None = None, project_root: Path | None = None,
                      timeout: float = DEFAULT_TIMEOUT,
                      memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> TraceResult:
    """Trace one entry point: a script (run as __main__, cwd = its folder) or a module function (imported
    below `project_root` and called with no arguments, cwd = the project root)."""
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    script = Path(entry.path).absolute()
    entry = EntryPoint(script, entry.function)
    root = Path(project_root).absolute() if project_root is not None else script.parent
    interpreter = interpreter or sys.executable
    started = time.monotonic()
    if not script.is_file():
        return TraceResult(None, {}, "failed", f"{script} is not a file", "", 0.0, entry=entry)

    with tempfile.TemporaryDirectory(prefix="nanscope-trace-") as temporary:
        out_dir = Path(temporary) / "out"
        out_dir.mkdir()
        log_path = Path(temporary) / "output.log"
        status_path = Path(temporary) / "supervisor.json"
        command = [interpreter, str(AGENT), *agent_arguments(entry, out_dir, root, memory_limit_mb)]
        if SUPERVISED:
            command = [sys.executable, "-I", "-S", str(SUPERVISOR), "--supervise", str(status_path), "--", *command]
        with open(log_path, "wb") as log:
            try:
                process = subprocess.Popen(command, cwd=working_directory(entry, root), stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT, env=_child_environment(),
                                           start_new_session=True)
            except OSError as error:
                return TraceResult(None, {}, CRASHED, f"cannot start the interpreter {command[0]}: {error}",
                                   "", time.monotonic() - started, entry=entry)
            finished = False
            try:
                finished = _wait_unreaped(process, started + timeout)
            finally:
                if not finished and SUPERVISED:
                    _ask_to_stop(process)
                _kill_group(process)
                returncode = process.wait()
        seconds = time.monotonic() - started
        if SUPERVISED:
            supervisor = _read_json(status_path)
            if "error" in supervisor:
                return TraceResult(None, {}, CRASHED,
                                   f"cannot start the interpreter {interpreter}: {supervisor['error']}",
                                   "", seconds, entry=entry)
            if isinstance(supervisor.get("returncode"), int):
                returncode = supervisor["returncode"]
        output = _read_tail(log_path, OUTPUT_TAIL_BYTES)
        record = _read_record(out_dir / "trace.json")

        if record is None:
            if not finished:
                error = f"the script did not reach a training step or finish within {timeout:g} s"
                return TraceResult(None, {}, TIMEOUT, error, output, seconds, entry=entry)
            return TraceResult(None, {}, CRASHED, _crash_message(returncode, output), output, seconds, entry=entry)
        return result_from_record(record, out_dir, output, seconds, entry, root)


def agent_arguments(entry: EntryPoint, out_dir: Path, project_root: Path,
                    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> list[str]:
    """The agent's command line after its path (also used by the trace worker)."""
    arguments = ["--script", str(entry.path), "--out", str(out_dir), "--project-root", str(project_root),
                 "--memory-limit-mb", str(int(memory_limit_mb))]
    if entry.function:
        arguments += ["--function", entry.function]
    return arguments


def working_directory(entry: EntryPoint, project_root: Path) -> Path:
    """A script runs in its own folder (as `python S` from there); a function entry point in the project root."""
    return Path(project_root) if entry.function else Path(entry.path).parent


def result_from_record(record: dict[str, Any], out_dir: Path, output: str, seconds: float,
                       entry: EntryPoint | None = None, project_root: Path | None = None) -> TraceResult:
    """The TraceResult for an agent's trace.json (already read and checked by `_read_record`) and the
    graph.pb next to it. Range annotations are read from the sources here (project files only)."""
    graph, graph_bytes, error = None, None, record.get("error")
    graph_path = Path(out_dir) / "graph.pb"
    if graph_path.is_file():
        graph_bytes = graph_path.read_bytes()
        try:
            graph = graph_from_bytes(graph_bytes, source="the traced graph")
        except GraphLoadError as load_error:
            graph_bytes = None
            error = f"{error}\n{load_error}" if error else str(load_error)
    if entry is None:
        recorded = record.get("entry") or {}
        entry = EntryPoint(Path(recorded["script"]), recorded.get("function")) if recorded.get("script") else None
    frames = {name: _frames(triples) for name, triples in record.get("frames", {}).items()}
    stop = record.get("stop") or {}
    observed = _ranges(record.get("observed_ranges"))
    annotations = {}
    if graph is not None:
        from nanscope.analysis.sourcemap.annotations import range_annotations

        root = Path(project_root) if project_root is not None else (entry.path.parent if entry else None)
        if root is not None:
            annotations = range_annotations(graph, frames, root)
    return TraceResult(
        graph=graph,
        frames=frames,
        status=record["status"],
        error=error,
        output=output,
        seconds=seconds,
        error_frames=_frames(record.get("error_frames") or ()),
        mode=record.get("mode"),
        tf_version=record.get("tf_version"),
        graph_bytes=graph_bytes,
        entry=entry,
        stop_reason=stop.get("reason") if isinstance(stop, dict) else None,
        stop_frames=_frames(stop.get("frames") or ()) if isinstance(stop, dict) else (),
        function_frames={str(function): {name: _frames(triples) for name, triples in ops.items()}
                         for function, ops in _dict(record.get("function_frames")).items() if isinstance(ops, dict)},
        variables={name: _variable(info) for name, info in _dict(record.get("variables")).items()
                   if isinstance(info, dict)},
        observed_ranges={name: value for name, (value, _) in observed.items()},
        observed_sources={name: source for name, (_, source) in observed.items()},
        annotated_ranges={name: (a.lo, a.hi) for name, a in annotations.items()},
        range_annotations=annotations,
        stand_ins={str(key): str(value) for key, value in _dict(record.get("stand_ins")).items()},
        notes=tuple(str(note) for note in record.get("notes") or ()),
        imported_files=tuple(Path(path) for path in record.get("imported_files") or ()),
        redirected_writes=tuple((str(op), str(path)) for op, path in record.get("redirected_writes") or ()),
    )


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _ranges(value: Any) -> dict[str, tuple[tuple[float, float], str]]:
    ranges = {}
    for name, item in _dict(value).items():
        try:
            lo, hi = (float(bound) for bound in item["range"])
        except (KeyError, TypeError, ValueError):
            continue
        ranges[str(name)] = ((lo, hi), str(item.get("source", "observed")))
    return ranges


def _variable(info: dict[str, Any]) -> VariableInfo:
    shape = info.get("shape")
    return VariableInfo(name=str(info.get("variable", "")), trainable=bool(info.get("trainable", True)),
                        dtype=str(info.get("dtype", "")),
                        shape=None if shape is None else tuple(None if d is None else int(d) for d in shape))


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


def _ask_to_stop(process: subprocess.Popen) -> None:
    """SIGTERM to the supervisor (it kills and reaps the trace's processes), then wait for it, unreaped,
    for at most KILL_GRACE seconds."""
    try:
        os.kill(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    _wait_unreaped(process, time.monotonic() + KILL_GRACE)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


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
