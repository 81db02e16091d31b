"""The tracing agent: runs one user script in the user's own interpreter and records its graph.

The runner starts it by file path, never by import (the user's interpreter need not have nanscope):

    python /abs/path/agent.py --script S --out DIR --project-root R [--mode auto|v1|v2]

so it imports only the standard library and TensorFlow. It owns everything that happens inside that
process. In order:

1. sys.path and argv: the agent's own folder is removed, the script's folder becomes sys.path[0] (as with
   `python S`), the project root is appended (last, so it only resolves imports that would otherwise fail
   for a script in a subfolder). sys.argv = [S]. The runner has already made S's folder the cwd.
2. Mode. If the script's source uses TF1-only API (a regex, `TF1_API`), the mode is "v1": v2 behaviour is
   disabled and `import tensorflow` yields `_CompatModule`, a proxy whose attributes come from
   `tf.compat.v1` first and from TF2 for names v1 lacks (submodules are proxied the same way, so
   `tf.train.GradientDescentOptimizer` and `tf.nn.softmax` both work). Otherwise the mode is "v2" and the
   script runs unchanged (eagerly; whatever graph it leaves is recorded).
3. Every `Session.run` (Session, InteractiveSession and their bases) raises `_StopAtSessionRun`, a
   BaseException so that a user's `except Exception` cannot swallow it. Training never starts.
4. The script runs as `__main__` with runpy. Status: "stopped-at-session-run", "completed" (it ended, or
   called sys.exit(0)), or "failed" (an exception, or a non-zero exit; the partial graph is kept).
5. Results: DIR/graph.pb (the GraphDef with shapes) and DIR/trace.json, each written atomically and
   trace.json last, so its presence means the results are complete. trace.json holds status, error (the
   user-code part of the traceback and the exception), error_frames, mode, tf_version and frames:
   {op name: [[real path, line, function], ...]} from `op.traceback`, outermost first, in op creation
   order, keeping only frames outside site-packages/dist-packages, the standard library and this file.
   Ops without such a frame are left out.
6. The process then ends at once with os._exit(0): threads the script left running, or TensorFlow's
   teardown, can neither hang it nor turn finished results into a crash.

The agent itself never writes to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import runpy
import sys
import sysconfig
import traceback
import types

AGENT_PATH = os.path.realpath(__file__)

# Attribute names (after `tf.` or another alias of tensorflow) that exist only in the TF1 API or only make
# sense in graph mode, and attribute paths that begin such API. A regex over the script's source; a mention
# in a comment counts too.
TF1_NAMES = (
    "placeholder", "placeholder_with_default", "Session", "InteractiveSession", "log", "to_float",
    "to_int32", "to_int64", "to_double", "global_variables_initializer", "initialize_all_variables",
    "local_variables_initializer", "variables_initializer", "trainable_variables", "global_variables",
    "variable_scope", "get_variable", "get_default_graph", "reset_default_graph", "random_normal",
    "random_uniform", "truncated_normal", "div", "mod", "arg_max", "arg_min", "Print", "logging", "gfile",
    "flags", "app",
)
TF1_PREFIXES = (r"layers\.", r"contrib\.", r"summary\.FileWriter\b", r"train\.\w*Optimizer\b",
                r"train\.Saver\b", r"nn\.rnn_cell\.")
TF1_API = r"(?:(?:%s)(?!\w)|%s)" % ("|".join(TF1_NAMES), "|".join(TF1_PREFIXES))
_TF_ALIAS = re.compile(r"^\s*import\s+tensorflow(?:\.compat\.v1)?\s+as\s+(\w+)", re.MULTILINE)
_V1_ALIAS = re.compile(r"^\s*from\s+tensorflow\.compat\s+import\s+v1\s+as\s+(\w+)", re.MULTILINE)
_GRAPH_MODE_CALL = re.compile(r"\b(?:disable_eager_execution|disable_v2_behavior)\s*\(|\bcompat\.v1\.%s" % TF1_API)


class _StopAtSessionRun(BaseException):
    """Raised by the patched Session.run; carries the graph of the session that was about to run."""

    def __init__(self, graph):
        super().__init__("stopped at the first Session.run")
        self.graph = graph


def detect_mode(source: str) -> str:
    """"v1" when the source uses TF1-only API through any alias of tensorflow, else "v2"."""
    aliases = {"tf", *_TF_ALIAS.findall(source), *_V1_ALIAS.findall(source)}
    names = "|".join(re.escape(alias) for alias in sorted(aliases))
    tf1_use = re.compile(r"(?<![\w.])(?:%s)\.%s" % (names, TF1_API))
    return "v1" if tf1_use.search(source) or _GRAPH_MODE_CALL.search(source) else "v2"


class _CompatModule(types.ModuleType):
    """Attributes from `primary` (tf.compat.v1 or one of its submodules) first, then from `fallback` (the
    TF2 counterpart). A submodule found on both sides is wrapped the same way. Looked-up values are cached
    in the module's dict, so each name is resolved once."""

    def __init__(self, name, primary, fallback):
        super().__init__(name, getattr(primary, "__doc__", None))
        self.__dict__["_nanscope_sources"] = (primary, fallback)

    def __getattr__(self, name):
        primary, fallback = self.__dict__["_nanscope_sources"]
        sources = (fallback,) if name.startswith("__") else (primary, fallback)
        for source in sources:
            if source is None:
                continue
            try:
                value = getattr(source, name)
            except AttributeError:
                continue
            if source is primary and isinstance(value, types.ModuleType):
                counterpart = _lookup(fallback, name)
                if isinstance(counterpart, types.ModuleType) and counterpart is not value:
                    value = _CompatModule(f"{self.__name__}.{name}", value, counterpart)
            self.__dict__[name] = value
            return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self):
        primary, fallback = self.__dict__["_nanscope_sources"]
        return sorted(set(dir(primary)) | set(dir(fallback)) | set(self.__dict__) - {"_nanscope_sources"})


def _lookup(module, name):
    """`getattr(module, name)`, or None when the attribute is missing or its lazy import fails."""
    if module is None:
        return None
    try:
        return getattr(module, name)
    except (AttributeError, ImportError):
        return None


def install_v1_proxy(tf):
    """Make `import tensorflow` (anywhere, from now on) yield the v1-first proxy of `tf`."""
    proxy = _CompatModule("tensorflow", tf.compat.v1, tf)
    for dunder in ("__spec__", "__loader__", "__package__", "__path__", "__file__"):
        if hasattr(tf, dunder):
            proxy.__dict__[dunder] = getattr(tf, dunder)
    sys.modules["tensorflow"] = proxy
    return proxy


def patch_sessions(tf):
    """Make every session's run (and partial run) stop the script before it executes anything."""
    def stop(session, *args, **kwargs):
        raise _StopAtSessionRun(getattr(session, "graph", None))

    classes = set()
    for cls in (tf.compat.v1.Session, tf.compat.v1.InteractiveSession):
        classes.update(base for base in cls.__mro__ if base is not object)
    for cls in classes:
        for method in ("run", "partial_run", "partial_run_setup"):
            if method in vars(cls):
                setattr(cls, method, stop)


class FrameFilter:
    """Tells user-code files from library files; answers with the file's absolute real path or None."""

    def __init__(self):
        roots = set()
        paths = sysconfig.get_paths()
        for key in ("stdlib", "platstdlib"):
            if paths.get(key):
                roots.add(os.path.realpath(paths[key]))
        roots.add(os.path.realpath(os.path.dirname(os.__file__)))
        self._stdlib_roots = tuple(root + os.sep for root in roots)
        self._cache = {}

    def user_path(self, filename):
        if filename not in self._cache:
            self._cache[filename] = self._classify(filename)
        return self._cache[filename]

    def _classify(self, filename):
        if not filename or filename.startswith("<"):
            return None     # frozen modules, exec'd strings: no file to map to
        real = os.path.realpath(filename)
        parts = real.split(os.sep)
        if real == AGENT_PATH or "site-packages" in parts or "dist-packages" in parts:
            return None
        if real.startswith(self._stdlib_roots):
            return None
        return real

    def frames(self, triples):
        """[(filename, lineno, function)] -> the user frames as [real path, lineno, function] lists."""
        kept = []
        for filename, lineno, function in triples:
            path = self.user_path(filename)
            if path is not None:
                kept.append([path, int(lineno or 0), function])
        return kept


def fix_sys_path(script, project_root):
    agent_dir = os.path.dirname(AGENT_PATH)
    sys.path[:] = [entry for entry in sys.path
                   if os.path.realpath(entry or os.curdir) != agent_dir]
    sys.path.insert(0, os.path.dirname(script))
    if project_root and project_root not in sys.path:
        sys.path.append(project_root)


def run_script(script):
    """Run the script as __main__. Returns (status, exception or None, namespace of the script or None,
    graph of the session that was stopped or None)."""
    try:
        namespace = runpy.run_path(script, run_name="__main__")
    except _StopAtSessionRun as stop:
        return "stopped-at-session-run", None, _script_globals(stop, script), stop.graph
    except SystemExit as exit_:
        status = "completed" if exit_.code in (None, 0) else "failed"
        return status, (exit_ if status == "failed" else None), _script_globals(exit_, script), None
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - the script is the boundary: any error is a result
        return "failed", error, _script_globals(error, script), None
    return "completed", None, namespace, None


def _script_globals(exception, script):
    """The script's global namespace, from the innermost traceback frame that runs the script's code."""
    real_script = os.path.realpath(script)
    found = None
    tb = exception.__traceback__
    while tb is not None:
        if os.path.realpath(tb.tb_frame.f_code.co_filename) == real_script:
            found = tb.tb_frame.f_globals
        tb = tb.tb_next
    return found


def pick_graph(tf, stopped_graph, namespace):
    """The graph to record: the stopped session's graph; otherwise the largest of the default graph and the
    graphs that the script's global variables (graphs, tensors, operations, variables) belong to."""
    if stopped_graph is not None:
        return stopped_graph
    candidates = [tf.compat.v1.get_default_graph()]
    for value in (namespace or {}).values():
        graph = value if isinstance(value, tf.Graph) else _graph_of(tf, value)
        if graph is not None and all(graph is not seen for seen in candidates):
            candidates.append(graph)
    return max(candidates, key=lambda graph: len(graph.get_operations()))   # ties: the default graph


def _graph_of(tf, value):
    if not isinstance(value, (tf.Tensor, tf.Operation, tf.Variable)):
        return None
    try:
        graph = value.graph
    except (AttributeError, RuntimeError, ValueError):  # eager tensors have no graph
        return None
    return graph if isinstance(graph, tf.Graph) else None


def op_frames(graph, frame_filter):
    """{op name: user frames} in op creation order, for ops with at least one user frame."""
    frames = {}
    for op in graph.get_operations():
        stack = op.traceback or ()
        kept = frame_filter.frames((frame.filename, frame.lineno, frame.name) for frame in stack)
        if kept:
            frames[op.name] = kept
    return frames


def describe_error(exception, frame_filter):
    """(message, user frames): the user-code part of the traceback, formatted as Python does, then the
    exception; for a non-zero sys.exit, what it exited with. A SyntaxError adds the offending line as
    the innermost frame."""
    summaries = [summary for summary in traceback.extract_tb(exception.__traceback__)
                 if frame_filter.user_path(summary.filename) is not None]
    frames = frame_filter.frames((s.filename, s.lineno, s.name) for s in summaries)
    if isinstance(exception, SyntaxError) and exception.filename and exception.lineno:
        frames += frame_filter.frames([(exception.filename, exception.lineno, "<module>")])
    if isinstance(exception, SystemExit):
        return f"the script exited with sys.exit({exception.code!r})", frames
    lines = traceback.format_exception_only(type(exception), exception)
    if summaries:
        lines = ["Traceback (most recent call last):\n", *traceback.format_list(summaries), *lines]
    return "".join(lines).rstrip("\n"), frames


def atomic_write(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def write_results(out_dir, record, graph):
    if graph is not None:
        try:
            data = graph.as_graph_def(add_shapes=True).SerializeToString()
        except Exception as error:  # noqa: BLE001 - whatever TF raises here, trace.json must still be written
            note = f"the graph could not be serialized: {type(error).__name__}: {error}"
            record["error"] = f"{record['error']}\n{note}" if record["error"] else note
        else:
            atomic_write(os.path.join(out_dir, "graph.pb"), data)
    atomic_write(os.path.join(out_dir, "trace.json"), json.dumps(record).encode("utf-8"))


def quiet_tensorflow(tf):
    tf.get_logger().setLevel("ERROR")
    tf.autograph.set_verbosity(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description="nanscope tracing agent (started by the runner)")
    parser.add_argument("--script", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--project-root", default=None)
    parser.add_argument("--mode", choices=("auto", "v1", "v2"), default="auto")
    args = parser.parse_args(argv)

    script = os.path.abspath(args.script)
    out_dir = os.path.abspath(args.out)
    project_root = os.path.abspath(args.project_root) if args.project_root else None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    fix_sys_path(script, project_root)
    sys.argv = [script]

    record = {"status": "failed", "error": None, "error_frames": [], "mode": None, "frames": {},
              "tf_version": None, "python": sys.version.split()[0]}
    try:
        with open(script, "rb") as handle:
            source = handle.read().decode("utf-8", errors="replace")
    except OSError as error:
        record["error"] = f"cannot read {script}: {error.strerror or error}"
        write_results(out_dir, record, None)
        return 0
    try:
        import tensorflow as tf
    except Exception as error:  # noqa: BLE001 - any failure to import TF must become a result, not a crash
        record["error"] = f"TensorFlow cannot be imported by {sys.executable}: {type(error).__name__}: {error}"
        write_results(out_dir, record, None)
        return 0

    quiet_tensorflow(tf)
    mode = detect_mode(source) if args.mode == "auto" else args.mode
    record["mode"], record["tf_version"] = mode, tf.__version__
    if mode == "v1":
        tf.compat.v1.disable_v2_behavior()
        install_v1_proxy(tf)
    patch_sessions(tf)

    frame_filter = FrameFilter()
    status, exception, namespace, stopped_graph = run_script(script)
    record["status"] = status
    if exception is not None:
        record["error"], record["error_frames"] = describe_error(exception, frame_filter)
    graph = pick_graph(tf, stopped_graph, namespace)
    record["frames"] = op_frames(graph, frame_filter)
    write_results(out_dir, record, graph)
    return 0


def _exit_now(code):
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # closed or broken by the script: nothing left to flush
            pass
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
