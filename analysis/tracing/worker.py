"""A long-lived trace worker: TensorFlow is imported once, every trace runs in a fresh fork of that process.

`trace_script` (the runner) pays TensorFlow's import (~3 s) on every trace. The language server traces on
every save, so it uses `TraceWorker` instead:

    worker = TraceWorker(interpreter)          # starts nothing yet; .start() warms it up in the background
    result = worker.trace(script, project_root, timeout)   # -> TraceResult, same contract as trace_script
    worker.close()                             # the zygote and every trace process are gone afterwards

Two sides live in this file.

The *zygote* runs in the user's interpreter (which need not have nanscope: it imports only the standard
library and TensorFlow). It is started as `python -c BOOTSTRAP worker.py --socket S --agent A`; the
bootstrap compiles this file under the pseudo file name `<nanscope-trace-worker>`, so none of the zygote's
frames can ever be mistaken for user code (the agent drops frames whose file name starts with `<`, as it
drops its own). The zygote makes sys.path what the runner's agent process has (the agent's folder first),
imports TensorFlow, listens on a Unix socket and then, for each connection (one trace), forks a child that
does exactly what the runner's subprocess does: new session (own process group), stdin from /dev/null,
stdout and stderr to the trace's log file, the runner's working directory (`runner.working_directory`),
then the agent's `main(argv)` with the runner's arguments (`runner.agent_arguments`), and `os._exit`. The
agent is loaded from its file in the child, so each trace starts from the zygote's clean state (nothing a
script does can leak into the next trace; numpy's global generator is reseeded, `random` reseeds itself).
The zygote reports the child's pid and, when it exits, its exit code. When a child exits, or the parent
asks (timeout, cancel, or the connection dropped), the zygote kills the child's whole process group before
reaping the child, so the group id cannot be reused first. Children also get PR_SET_PDEATHSIG: they die
if the zygote dies. The zygote exits, killing its children's groups, when its stdin (a pipe from the
parent) reaches EOF, that is when the parent closes it or dies.
On Linux the zygote and every trace child are child subreapers (see "Process trees" below): a process a
script started that left its group (setsid) stays the trace's descendant while the trace runs, and becomes
the zygote's child when the trace ends; after each trace the zygote kills and reaps every child of its own
that is not a running trace. The same file, run as `worker.py --supervise`, is the runner's per-trace
supervisor (`supervise_main`).

The *parent* side (`TraceWorker`, in the server's process) starts the zygote lazily, re-spawns it when it
has died, and turns each trace's output into a `TraceResult` with the runner's own `result_from_record`.
When no zygote can be had (the interpreter cannot start or cannot import TensorFlow), it falls back to
`trace_entry_point`, which gives the same result the slow way (and the proper error message). The trace's
timeout counts from the fork (the runner's also covers TensorFlow's import).

fork() after `import tensorflow` was measured on these machines (Linux, TF 2.21, Python 3.11): the import
leaves one native thread besides the main one; 450 forked traces (two at a time) of a v1 script, a Keras
model traced through tf.function and an eager TF2 script all completed, none hung. A fork costs a few
milliseconds; what remains per trace is the script's graph construction and the agent's own work (~0.2 s
for the bundled example, against ~3 s for a fresh interpreter that imports TensorFlow).
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nanscope.analysis.tracing.result import EntryPoint, TraceResult

# nanscope modules are imported inside the parent-side functions only: this file is also executed as the
# zygote in the user's interpreter, where nanscope may be missing and must not be imported anyway.

PSEUDO_FILENAME = "<nanscope-trace-worker>"
BOOTSTRAP = (
    "import sys, types\n"
    "module = types.ModuleType('nanscope_trace_worker')\n"
    "sys.modules[module.__name__] = module\n"
    "with open(sys.argv[1], 'rb') as handle:\n"
    f"    code = compile(handle.read(), {PSEUDO_FILENAME!r}, 'exec')\n"
    "exec(code, module.__dict__)\n"
    "module.zygote_main(sys.argv[2:])\n"
)
STARTUP_TIMEOUT = 120.0      # seconds for the zygote to import TensorFlow and listen
KILL_GRACE = 10.0            # seconds to wait for the zygote's exit report after asking for a kill
CHILD_FAILURE_EXIT = 70      # exit code of a child that failed before the agent could run
REAP_GRACE = 5.0             # seconds to wait for a killed orphan to exit before leaving it for the next sweep
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class TraceCancelled(Exception):
    """The trace was cancelled by its caller (its process group has been killed)."""


class WorkerUnavailable(Exception):
    """No zygote could be started or reached (the caller falls back to a plain subprocess)."""


# ----------------------------------------------------------------------------------------------------
# Parent side (the server's process)
# ----------------------------------------------------------------------------------------------------

class TraceWorker:
    """Traces scripts in forks of a zygote that has TensorFlow imported. Thread-safe: traces may run
    concurrently (each is one connection and one child)."""

    def __init__(self, interpreter: str | None = None) -> None:
        self.interpreter = interpreter or sys.executable
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._folder: tempfile.TemporaryDirectory | None = None
        self._socket_path: str | None = None
        self._ready = threading.Event()
        self._failure: str | None = None      # why the current zygote is unusable
        self._closed = False
        self.spawned = 0                       # zygotes started so far
        self.fallbacks = 0                     # traces that went through trace_entry_point instead

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the zygote now (it imports TensorFlow in the background); a no-op when it runs."""
        with self._lock:
            self._spawn_if_needed()

    def close(self) -> None:
        """Stop the zygote: running traces are killed (their callers get crashed/cancelled results)."""
        with self._lock:
            self._closed = True
            self._stop_zygote()

    def __enter__(self) -> TraceWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The zygote's process id while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def _spawn_if_needed(self) -> None:
        if self._closed:
            raise WorkerUnavailable("the trace worker is closed")
        if self._process is not None and self._process.poll() is None:
            return
        self._stop_zygote()
        from nanscope.analysis.tracing import runner

        self._folder = tempfile.TemporaryDirectory(prefix="nanscope-worker-")
        self._socket_path = os.path.join(self._folder.name, "zygote.sock")
        self._ready = threading.Event()
        self._failure = None
        log_path = os.path.join(self._folder.name, "zygote.log")
        command = [self.interpreter, "-c", BOOTSTRAP, str(Path(__file__).resolve()),
                   "--socket", self._socket_path, "--agent", str(runner.AGENT)]
        with open(log_path, "wb") as log:
            try:
                self._process = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                    cwd=self._folder.name, env=runner._child_environment(), start_new_session=True)
            except OSError as error:
                self._process = None
                self._failure = f"cannot start the interpreter {self.interpreter}: {error}"
                self._ready.set()
                return
        self.spawned += 1
        threading.Thread(target=self._await_ready, args=(self._process, self._ready, log_path),
                         name="nanscope-zygote-ready", daemon=True).start()

    def _await_ready(self, process: subprocess.Popen, ready: threading.Event, log_path: str) -> None:
        """Read the zygote's one status line (sent once TensorFlow is imported and the socket listens)."""
        line = b""
        try:
            assert process.stdout is not None
            selector = selectors.DefaultSelector()
            selector.register(process.stdout, selectors.EVENT_READ)
            if selector.select(STARTUP_TIMEOUT):
                line = process.stdout.readline()
            selector.close()
        except (OSError, ValueError):
            line = b""
        status: dict[str, Any] = {}
        try:
            status = json.loads(line.decode("utf-8")) if line else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            status = {}
        if process is self._process:
            if not status.get("ready"):
                failure = status.get("error") or _log_tail(log_path) or "no answer"
                self._failure = f"the trace worker did not start: {failure}"
            elif status.get("tensorflow") is None:
                self._failure = f"TensorFlow cannot be imported by {self.interpreter}"
        ready.set()

    def _stop_zygote(self) -> None:
        process, folder = self._process, self._folder
        self._process, self._folder, self._socket_path = None, None, None
        if process is not None:
            _close_quietly(process.stdin)       # EOF: the zygote kills its children's groups and exits
            try:
                process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)        # not reaped yet: the group id is still the zygote's
                process.wait()
            _close_quietly(process.stdout)
        if folder is not None:
            folder.cleanup()

    def _connect(self, cancel: threading.Event | None) -> socket.socket:
        """A connection to a ready zygote (started or re-spawned as needed)."""
        with self._lock:
            self._spawn_if_needed()
            ready, socket_path = self._ready, self._socket_path
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready.wait(0.05):
            if (cancel is not None and cancel.is_set()) or time.monotonic() > deadline:
                raise WorkerUnavailable("the trace worker did not start in time")
        if self._failure is not None or socket_path is None:
            raise WorkerUnavailable(self._failure or "the trace worker is gone")
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(socket_path)
        except OSError as error:
            connection.close()
            raise WorkerUnavailable(f"the trace worker cannot be reached: {error}") from error
        return connection

    # -- tracing ---------------------------------------------------------------------------------------

    def trace(self, script: Path | EntryPoint, project_root: Path | None = None,
              timeout: float | None = None, cancel: threading.Event | None = None, *,
              memory_limit_mb: int | None = None) -> TraceResult:
        """Trace a script (or an `EntryPoint`: a module function) like `trace_entry_point` does (timeout and
        memory limit default to the runner's).

        Raises `TraceCancelled` when `cancel` is set before the trace ends (the trace is killed first), or
        when the worker has been closed.
        """
        from nanscope.analysis.tracing import runner
        from nanscope.analysis.tracing.result import CRASHED, TIMEOUT, EntryPoint, TraceResult

        timeout = runner.DEFAULT_TIMEOUT if timeout is None else timeout
        memory_limit_mb = runner.DEFAULT_MEMORY_LIMIT_MB if memory_limit_mb is None else memory_limit_mb
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        entry = script if isinstance(script, EntryPoint) else EntryPoint(Path(script))
        entry = EntryPoint(Path(entry.path).absolute(), entry.function)
        root = Path(project_root).absolute() if project_root is not None else entry.path.parent
        if not entry.path.is_file():
            return TraceResult(None, {}, "failed", f"{entry.path} is not a file", "", 0.0, entry=entry)
        try:
            connection = self._connect(cancel)
        except WorkerUnavailable:
            if self._closed or (cancel is not None and cancel.is_set()):
                raise TraceCancelled(str(entry)) from None     # closing down: start nothing new
            self.fallbacks += 1
            return runner.trace_entry_point(entry, interpreter=self.interpreter, project_root=root,
                                            timeout=timeout, memory_limit_mb=memory_limit_mb)
        started = time.monotonic()    # the script's time starts now (the zygote's start-up is not its)
        with connection, tempfile.TemporaryDirectory(prefix="nanscope-trace-") as temporary:
            out_dir = Path(temporary) / "out"
            out_dir.mkdir()
            log_path = Path(temporary) / "output.log"
            log_path.touch()
            request = {"argv": runner.agent_arguments(entry, out_dir, root, memory_limit_mb),
                       "cwd": str(runner.working_directory(entry, root)), "log": str(log_path)}
            exchange = _Exchange(connection)
            exchange.send(request)
            finished, cancelled, returncode = exchange.wait_exit(started + timeout, cancel)
            seconds = time.monotonic() - started
            if cancelled:
                raise TraceCancelled(str(entry))
            output = runner._read_tail(log_path, runner.OUTPUT_TAIL_BYTES)
            record = runner._read_record(out_dir / "trace.json")
            if record is not None:
                return runner.result_from_record(record, out_dir, output, seconds, entry, root)
            if not finished:
                error = f"the script did not reach a training step or finish within {timeout:g} s"
                return TraceResult(None, {}, TIMEOUT, error, output, seconds, entry=entry)
            if returncode is None:
                error = "the trace worker died during the trace"
                tail = output.rstrip().splitlines()[-runner.ERROR_TAIL_LINES:]
                if tail:
                    error += "; last output:\n" + "\n".join(tail)
            else:
                error = runner._crash_message(returncode, output)
            return TraceResult(None, {}, CRASHED, error, output, seconds, entry=entry)


class _Exchange:
    """The parent's end of one trace's connection: request, then {"pid"}, then {"exit"}."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.pid: int | None = None

    def send(self, message: dict[str, Any]) -> None:
        self.connection.sendall(json.dumps(message).encode("utf-8") + b"\n")

    def wait_exit(self, deadline: float, cancel: threading.Event | None) -> tuple[bool, bool, int | None]:
        """(finished before the deadline, cancelled, exit code or None if unknown)."""
        killed_at: float | None = None
        cancelled = False
        while True:
            now = time.monotonic()
            if killed_at is None:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                if cancelled or now >= deadline:
                    killed_at = now
                    self._ask_kill()
            elif now - killed_at > KILL_GRACE:
                return False, cancelled, None
            wait = 0.05 if cancel is not None else 1.0
            if killed_at is None:
                wait = min(wait, max(0.0, deadline - now))
            message = self._receive(wait)
            if message is _CLOSED:
                return killed_at is None, cancelled, None     # the zygote died: a crash (or our kill)
            if message is None:
                continue
            if "pid" in message:
                self.pid = int(message["pid"])
            elif "exit" in message:
                code = message["exit"]
                return killed_at is None, cancelled, None if code is None else int(code)
            elif "error" in message:
                return killed_at is None, cancelled, None

    def _ask_kill(self) -> None:
        try:
            self.connection.sendall(b'{"kill": true}\n')
        except OSError:
            pass   # the zygote is gone: its children died with it (PR_SET_PDEATHSIG)

    def _receive(self, wait: float) -> dict[str, Any] | object | None:
        while b"\n" not in self.buffer:
            self.connection.settimeout(max(wait, 0.0) or 0.0001)
            try:
                chunk = self.connection.recv(4096)
            except (socket.timeout, BlockingIOError):
                return None
            except OSError:
                return _CLOSED
            if not chunk:
                return _CLOSED
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            message = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return message if isinstance(message, dict) else None


_CLOSED = object()


def _log_tail(path: str, lines: int = 10) -> str:
    try:
        with open(path, "rb") as handle:
            text = handle.read()[-8192:].decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _close_quietly(stream: Any) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:
            pass


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ----------------------------------------------------------------------------------------------------
# Zygote side (the user's interpreter; standard library and TensorFlow only)
# ----------------------------------------------------------------------------------------------------

def zygote_main(argv: list[str]) -> None:
    """Entry of the zygote process (see the module docstring). Returns only by exiting."""
    import argparse

    parser = argparse.ArgumentParser(prog="nanscope-trace-worker")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--agent", required=True)
    args = parser.parse_args(argv)

    # The runner's agent process has the agent's folder as sys.path[0]; `python -c` put '' there.
    sys.path[0] = os.path.dirname(os.path.realpath(args.agent))
    become_subreaper()                   # orphans of ended traces become our children: we kill and reap them
    control = os.dup(0)                  # EOF on this pipe: the parent is gone or wants us to stop
    status_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)                        # stray prints (TensorFlow's) go to the zygote's log
    os.close(devnull)

    status: dict[str, Any] = {"ready": True, "tensorflow": None, "pid": os.getpid()}
    try:
        import tensorflow
        status["tensorflow"] = getattr(tensorflow, "__version__", "?")
    except Exception as error:  # noqa: BLE001 - any import failure is reported; the agent reports it per trace
        status["import_error"] = f"{type(error).__name__}: {error}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(args.socket)
        listener.listen(16)
    except OSError as error:
        status = {"ready": False, "error": f"cannot listen on {args.socket}: {error}"}
    os.write(status_out, (json.dumps(status) + "\n").encode("utf-8"))
    os.close(status_out)
    if not status.get("ready"):
        os._exit(1)
    _Zygote(listener, control, args.agent).serve()


class _Zygote:
    """The zygote's event loop: connections (one per trace), child exits, and the control pipe."""

    def __init__(self, listener: socket.socket, control: int, agent: str) -> None:
        self.listener, self.control, self.agent = listener, control, agent
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, ("accept", None))
        self.selector.register(control, selectors.EVENT_READ, ("control", None))
        self.buffers: dict[socket.socket, bytes] = {}
        self.child_of: dict[socket.socket, int] = {}     # connection -> its child's pid
        self.children: dict[int, socket.socket | None] = {}   # pid -> connection (None once dropped)
        self.pidfds: dict[int, int] = {}                  # pid -> pidfd, where pidfds are available
        self.polled: set[int] = set()                     # children without a pidfd: polled

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select(0.01 if self.polled else None):
                kind, value = key.data
                if kind == "accept":
                    self._accept()
                elif kind == "control":
                    if not os.read(self.control, 4096):
                        self._shutdown()
                elif kind == "connection":
                    self._on_readable(value)
                elif kind == "pidfd":
                    self._on_exit(value)
            for pid in list(self.polled):
                if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                    self._on_exit(pid)

    def _accept(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        self.buffers[connection] = b""
        self.selector.register(connection, selectors.EVENT_READ, ("connection", connection))

    def _on_readable(self, connection: socket.socket) -> None:
        try:
            chunk = connection.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(connection)
            return
        self.buffers[connection] += chunk
        while b"\n" in self.buffers.get(connection, b""):
            line, self.buffers[connection] = self.buffers[connection].split(b"\n", 1)
            try:
                message = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                self._send(connection, {"error": "malformed request"})
                continue
            if message.get("kill"):
                pid = self.child_of.get(connection)
                if pid is not None:
                    _kill_group(pid)          # not reaped yet: the group id is still this child's
            elif "argv" in message and connection not in self.child_of:
                self._fork(connection, message)

    def _drop(self, connection: socket.socket) -> None:
        """The parent closed the connection (gave up): kill that trace, forget the connection."""
        self.selector.unregister(connection)
        self.buffers.pop(connection, None)
        pid = self.child_of.pop(connection, None)
        if pid is not None:
            self.children[pid] = None
            _kill_group(pid)
        connection.close()

    def _fork(self, connection: socket.socket, request: dict[str, Any]) -> None:
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            self._become_trace(request, zygote)     # never returns
        self.child_of[connection] = pid
        self.children[pid] = connection
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.polled.add(pid)
        else:
            self.pidfds[pid] = pidfd
            self.selector.register(pidfd, selectors.EVENT_READ, ("pidfd", pid))
        self._send(connection, {"pid": pid})

    def _on_exit(self, pid: int) -> None:
        _kill_group(pid)                    # whatever the script started dies with it
        _, wait_status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(wait_status)
        pidfd = self.pidfds.pop(pid, None)
        if pidfd is not None:
            self.selector.unregister(pidfd)
            os.close(pidfd)
        self.polled.discard(pid)
        connection = self.children.pop(pid, None)
        # The trace was a subreaper: every process it left (in its group or escaped by setsid) was re-parented
        # to it and, now that it has exited, to us. Our children other than running traces are such orphans.
        kill_orphans(keep=self.children)
        if connection is not None:
            self.child_of.pop(connection, None)
            self._send(connection, {"exit": code})

    def _send(self, connection: socket.socket, message: dict[str, Any]) -> None:
        try:
            connection.sendall(json.dumps(message).encode("utf-8") + b"\n")
        except OSError:
            pass   # the parent gave up on this trace; the connection is dropped when it reads as closed

    def _shutdown(self) -> None:
        for pid in list(self.children):
            _kill_group(pid)
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        kill_orphans(keep=())
        os._exit(0)

    def _become_trace(self, request: dict[str, Any], zygote: int) -> None:
        """In the forked child: set up the process as the runner would, then run the agent."""
        code = CHILD_FAILURE_EXIT
        try:
            os.setsid()
            _die_with_parent(zygote)
            become_subreaper()      # while the trace runs, its orphans stay its own (not another trace's)
            for fd in (*self.pidfds.values(), self.control):
                os.close(fd)
            for connection in (*self.buffers, self.listener):
                connection.close()
            self.selector.close()
            devnull = os.open(os.devnull, os.O_RDONLY)
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(devnull, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(devnull)
            os.close(log)
            os.chdir(request["cwd"])
            numpy = sys.modules.get("numpy")
            if numpy is not None:
                numpy.random.seed()         # `random` reseeds itself after fork; numpy's global state does not
            import importlib.util

            spec = importlib.util.spec_from_file_location("nanscope_agent", self.agent)
            agent = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(agent)
            agent._exit_now(agent.main(list(request["argv"])))
        except BaseException:  # noqa: BLE001 - the child must never return into the zygote's loop
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stderr.flush()
            finally:
                os._exit(code)


def _die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """PR_SET_PDEATHSIG(`signum`) on Linux: the process gets it when its parent (`parent`) dies."""
    _prctl(_PR_SET_PDEATHSIG, int(signum))
    if sys.platform.startswith("linux") and os.getppid() != parent:   # it died between fork and prctl
        os._exit(CHILD_FAILURE_EXIT)


# ----------------------------------------------------------------------------------------------------
# Process trees (standard library only: used by the zygote and by the runner's supervisor)
# ----------------------------------------------------------------------------------------------------
#
# A process group kill misses a descendant that called setsid() (or setpgid()). On Linux a process that
# supervises traces marks itself a *child subreaper* (prctl PR_SET_CHILD_SUBREAPER): when a descendant's
# parent dies, the descendant is re-parented to the nearest subreaper among its ancestors instead of to
# init. `kill_orphans` then kills and reaps the supervisor's direct children (other than `keep`), which
# re-parents their children to it in turn, until none is left. Only direct children are ever signalled:
# they are unreaped, so their pids cannot have been reused by an unrelated process, and since the
# supervisor runs nothing but traces, every one of them belongs to a trace. Off Linux (or when prctl is
# refused) nothing is re-parented to us and only the process group kill applies.

def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux); False where that is not possible."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def children(pid: int) -> list[int]:
    """The direct children of `pid`, zombies included, from /proc ([] without /proc)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def kill_orphans(keep: Any = (), grace: float = REAP_GRACE) -> dict[int, int]:
    """Kill (SIGKILL) and reap every direct child of this process whose pid is not in `keep`, again and
    again as their own children are re-parented to us, until there is none. -> {pid: wait status} of the
    processes reaped. A child that does not exit within `grace` seconds is left for the next sweep."""
    own = os.getpid()
    reaped: dict[int, int] = {}
    stuck: set[int] = set()
    deadline = time.monotonic() + grace
    while True:
        orphans = [pid for pid in children(own) if pid not in keep and pid not in stuck]
        if not orphans:
            return reaped
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in orphans:
            delay = 0.0005
            while True:
                try:
                    done, wait_status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:     # reaped elsewhere (a Popen's wait): nothing left to do
                    break
                if done:
                    reaped[pid] = wait_status
                    break
                if time.monotonic() > deadline:
                    stuck.add(pid)
                    break
                time.sleep(delay)
                delay = min(delay * 2, 0.02)


class _Stop(Exception):
    """Raised in the supervisor by SIGTERM: the runner wants the trace ended."""


def supervise_main(argv: list[str]) -> None:
    """`python worker.py --supervise STATUS -- COMMAND...`: the runner's per-trace supervisor (Linux).

    It becomes a subreaper, runs COMMAND (the agent) in the supervisor's process group (the runner started
    it in a new session) with stdin closed and stdout, stderr and working directory inherited, and waits until the agent exits or SIGTERM arrives (the runner's
    timeout, or the runner's death: PR_SET_PDEATHSIG). Then it kills and reaps every process left (the
    agent included), writes {"returncode": N} (Popen's convention), {"stopped": true} or {"error": why
    COMMAND could not start} to STATUS, and exits 0. The runner kills its process group afterwards in any
    case, so a supervisor killed itself leaves nothing of the group behind.
    """
    if len(argv) < 4 or argv[0] != "--supervise" or argv[2] != "--":
        sys.stderr.write("usage: worker.py --supervise STATUS -- COMMAND...\n")
        os._exit(2)
    status_path, command = argv[1], argv[3:]

    def stop(signum: int, frame: Any) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    parent = os.getppid()
    become_subreaper()
    _die_with_parent(parent, signal.SIGTERM)
    status: dict[str, Any] = {"stopped": True}
    agent: subprocess.Popen | None = None
    try:
        try:
            agent = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                     preexec_fn=lambda: _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL)))
        except OSError as error:
            status = {"error": str(error)}
        else:
            status = {"returncode": agent.wait()}
    except _Stop:
        pass
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    reaped = kill_orphans()
    if agent is not None and "returncode" not in status and agent.pid in reaped:
        status = {"stopped": True, "returncode": os.waitstatus_to_exitcode(reaped[agent.pid])}
    try:
        with open(status_path + ".part", "w", encoding="utf-8") as handle:
            json.dump(status, handle)
        os.replace(status_path + ".part", status_path)
    finally:
        os._exit(0)


if __name__ == "__main__":
    supervise_main(sys.argv[1:])
