"""The tracing agent: runs one entry point in the user's own interpreter and records its graph.

The runner starts it by file path, never by import (the user's interpreter need not have nanscope):

    python /abs/path/agent.py --script S --out DIR --project-root R [--function F] [--mode auto|v1|v2]
                              [--memory-limit-mb N]

so it imports only the standard library, NumPy and TensorFlow, plus its helper package
`nanscope_agentlib` (next to this file; its folder is on sys.path only while that package is imported).
It owns everything that happens inside that process. In order:

1. Limits and paths. RLIMIT_DATA is set to the memory limit (RLIMIT_AS cannot be used: TensorFlow
   reserves far more address space than it touches). sys.path: the agent's folder is removed; for a
   script S the script's folder becomes sys.path[0] (as with `python S`) and the project root is
   appended; for a function entry point (`--function F`: import S as a module and call F()) the project
   root comes first and S's folder second. sys.argv = [S].
2. Sandbox (`guard`): TensorFlow's and Keras' writers are neutralised and Python-level writes into the
   project are redirected or skipped. NumPy's removed aliases (`np.float`, ...) are restored. Import
   hooks serve stand-in modules (`tensorflow.examples.tutorials.mnist.input_data`, `tensorflow.contrib`)
   and patch Keras as soon as it is imported (dataset loaders, fit, layer provenance).
3. Mode. If the source of the entry file or of a project file it imports uses TF1-only API (a regex,
   `TF1_API`), the mode is "v1": v2 behaviour is disabled and `import tensorflow` yields the v1-first
   compat proxy (`compat.CompatModule`, with tf.layers, tf.nn.rnn_cell, tf.contrib and a graph-mode
   tf.keras). Otherwise the mode is "v2" and the code runs unchanged, eagerly.
4. Where training would start, the code stops (`state.StopTracing`, a BaseException that a user's
   `except Exception` cannot swallow): the first `Session.run` that is not an initializer ("stopped-at-
   session-run"), or Keras `fit`/`train_on_batch`, or a GradientTape's `gradient` ("stopped-at-training";
   see `training`). Otherwise the status is "completed" (it ended, or called sys.exit(0)) or "failed" (an
   exception, or a non-zero exit; the partial graph is kept).
5. The graph: the stopped session's or training step's graph; else (v1) the largest of the default graph
   and the graphs the script's globals belong to; else (v2) the eager training step's graph, or the
   script's Keras models (outermost ones; compiled ones preferred) traced on their input specs, or its
   tf.functions. Several graphs are merged with their variable names as prefixes.
6. Results: DIR/graph.pb (GraphDef with shapes) and DIR/trace.json, each written atomically and
   trace.json last, so its presence means the results are complete. trace.json holds:
   status, error (the user-code part of the traceback and the exception), error_frames, mode,
   tf_version, python, entry {script, function}, stop {reason, frames} or null,
   frames {op name: [[real path, line, function], ...]} (user frames only, outermost first, in op
   creation order), function_frames {function: {op: frames}}, variables {node: {variable, trainable,
   dtype, shape}} (captured variables rewritten as VarHandleOp), observed_ranges {name: {range: [lo, hi],
   source}}, stand_ins {what: description}, notes [...], imported_files [project files the run imported],
   redirected_writes [[operation, path], ...] (writes into the project that were skipped), neutralised
   [writer APIs replaced by no-ops], memory_limit_mb.
7. The process then ends at once with os._exit(0): threads the script left running, or TensorFlow's
   teardown, can neither hang it nor turn finished results into a crash.

The agent itself never writes to stdout.
"""
from __future__ import annotations

import argparse
import builtins
import importlib
import json
import os
import re
import sys
import traceback
import types

AGENT_PATH = os.path.realpath(__file__)
AGENT_DIR = os.path.dirname(AGENT_PATH)


def _agentlib():
    """The helper package: relative to this module when imported inside nanscope, else by path."""
    if __package__:
        return importlib.import_module(f"{__package__}.nanscope_agentlib")
    sys.path.insert(0, AGENT_DIR)
    try:
        return importlib.import_module("nanscope_agentlib")
    finally:
        sys.path.remove(AGENT_DIR)


agentlib = _agentlib()
compat = importlib.import_module(f"{agentlib.__name__}.compat")
frames_module = importlib.import_module(f"{agentlib.__name__}.frames")
imports_module = importlib.import_module(f"{agentlib.__name__}.imports")
state_module = importlib.import_module(f"{agentlib.__name__}.state")

FrameFilter = frames_module.FrameFilter
_CompatModule = compat.CompatModule
install_v1_proxy = compat.install_v1_proxy
StopTracing = state_module.StopTracing
STATE = state_module.STATE

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
_GRAPH_MODE_CALL = re.compile(r"\b(?:disable_eager_execution|disable_v2_behavior)\s*\(|\bcompat\.v1\.%s|"
                              r"\btensorflow\.(?:contrib|examples\.tutorials)\b" % TF1_API)
DEFAULT_MEMORY_LIMIT_MB = 4096


def detect_mode(source: str) -> str:
    """"v1" when the source uses TF1-only API through any alias of tensorflow, else "v2"."""
    aliases = {"tf", *_TF_ALIAS.findall(source), *_V1_ALIAS.findall(source)}
    names = "|".join(re.escape(alias) for alias in sorted(aliases))
    tf1_use = re.compile(r"(?<![\w.])(?:%s)\.%s" % (names, TF1_API))
    return "v1" if tf1_use.search(source) or _GRAPH_MODE_CALL.search(source) else "v2"


def detect_project_mode(entry, project_root, roots):
    """The mode of the entry file and of the project files it imports: "v1" if any of them is v1."""
    for path in sorted(imports_module.import_closure(entry, roots, project_root or os.path.dirname(entry))):
        try:
            with open(path, "rb") as handle:
                source = handle.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        if detect_mode(source) == "v1":
            return "v1"
    return "v2"


def set_memory_limit(megabytes):
    """Cap the data segment (heap and anonymous mappings) at `megabytes`; 0 or None: no limit."""
    if not megabytes:
        return False
    try:
        import resource
    except ImportError:
        return False
    limit = int(megabytes) * 1024 * 1024
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ValueError, OSError, AttributeError):
        return False
    return True


def fix_sys_path(script, project_root, function_entry=False):
    sys.path[:] = [entry for entry in sys.path
                   if os.path.realpath(entry or os.curdir) != AGENT_DIR]
    if function_entry and project_root:
        sys.path.insert(0, project_root)
        if os.path.dirname(script) != project_root:
            sys.path.insert(1, os.path.dirname(script))
        return
    sys.path.insert(0, os.path.dirname(script))
    if project_root and project_root not in sys.path:
        sys.path.append(project_root)


def module_name_for(script, project_root):
    """The dotted module name of `script` below `project_root`, or None when it has none."""
    if not project_root:
        return None
    relative = os.path.relpath(os.path.realpath(script), os.path.realpath(project_root))
    if relative.startswith(os.pardir) or not relative.endswith(".py"):
        return None
    parts = relative[:-3].split(os.sep)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


class Outcome:
    """What running the entry point produced."""

    def __init__(self):
        self.status = "failed"
        self.exception = None
        self.stop = None
        self.namespace = None
        self.result = None


def run_as_main(script, run_name="__main__"):
    """`runpy.run_path(script, run_name)` for a source file, except that the compiled code is kept alive
    (`frames.CODE_OBJECTS`) and the module's own namespace is returned (not a copy)."""
    with open(script, "rb") as handle:
        source = handle.read()
    # Issue 6: compile() of bytes lets undecodable bytes in comments pass, but `python script.py` refuses
    # the file; decode strictly as the interpreter would, so the user learns the file is not UTF-8.
    import io
    import tokenize
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    try:
        source.decode(encoding)
    except UnicodeDecodeError as error:
        line = source[:error.start].count(b"\n") + 1
        raise SyntaxError(f"(unicode error) the file is not valid {encoding} (byte {source[error.start]:#04x} on "
                          f"line {line}) and declares no other encoding", (script, line, 1, None)) from None
    code = compile(source, script, "exec", dont_inherit=True)
    frames_module.CODE_OBJECTS.append(code)
    module = types.ModuleType(run_name)
    module.__dict__.update(__file__=script, __cached__=None, __loader__=None, __package__="", __spec__=None,
                           __builtins__=builtins)
    saved = sys.modules.get(run_name)
    sys.modules[run_name] = module
    try:
        exec(code, module.__dict__)
    finally:
        if saved is not None:
            sys.modules[run_name] = saved
        else:
            sys.modules.pop(run_name, None)
    return module.__dict__


def run_entry(script, function=None, project_root=None):
    """Run the script as __main__, or import it and call `function()`."""
    outcome = Outcome()
    try:
        if function is None:
            outcome.namespace = run_as_main(script)
        else:
            name = module_name_for(script, project_root)
            if name is not None:
                outcome.namespace = vars(importlib.import_module(name))
            else:
                outcome.namespace = run_as_main(script, "__nanscope_entry__")
            target = outcome.namespace.get(function)
            if not callable(target):
                raise AttributeError(f"{os.path.basename(script)} has no function {function!r}")
            outcome.result = target()
    except StopTracing as stop:
        outcome.status, outcome.stop = stop.status, stop
        outcome.namespace = outcome.namespace or _script_globals(stop, script)
        return outcome
    except SystemExit as exit_:
        outcome.status = "completed" if exit_.code in (None, 0) else "failed"
        outcome.exception = exit_ if outcome.status == "failed" else None
        outcome.namespace = outcome.namespace or _script_globals(exit_, script)
        return outcome
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - the script is the boundary: any error is a result
        outcome.exception = error
        outcome.namespace = outcome.namespace or _script_globals(error, script)
        return outcome
    outcome.status = "completed"
    return outcome


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


def v2_graphs(tf, outcome, training):
    """[(label, graph)] for a v2 run that did not stop at a training step."""
    if STATE.eager_step_graph is not None:
        return [("training_step", STATE.eager_step_graph[0])]
    values = dict(outcome.namespace or {})
    if outcome.result is not None:
        values = {"result": outcome.result, **values}
    default = tf.compat.v1.get_default_graph()
    graphs = []
    legacy = pick_graph(tf, None, values)
    if legacy.get_operations():
        graphs.append(("graph", legacy))
    models = [(name, value) for name, value in values.items()
              if not name.startswith("__") and training.is_keras_model(value)]
    models = _outermost(models)
    compiled = [(name, model) for name, model in models if getattr(model, "compiled", False)]
    for name, model in compiled or models:
        graph = training.trace_keras_model(tf, model, STATE)
        if graph is not None:
            graphs.append((name, graph))
    if not models:
        for name, value in values.items():
            if not name.startswith("__") and training.is_tf_function(value):
                graph = training.trace_function(tf, value, STATE)
                if graph is not None:
                    graphs.append((name, graph))
    return graphs or [("graph", default)]


def _outermost(models):
    """Drop models that are layers of another model in the list, and duplicate references."""
    unique, seen = [], set()
    for name, model in models:
        if id(model) not in seen:
            seen.add(id(model))
            unique.append((name, model))
    inner = set()
    for _, model in unique:
        try:
            layers = list(model._flatten_layers(include_self=False))
        except (AttributeError, TypeError):
            layers = list(getattr(model, "layers", ()))
        inner.update(id(layer) for layer in layers)
    return [(name, model) for name, model in unique if id(model) not in inner]


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


def write_results(out_dir, record, graph_def):
    if graph_def is not None:
        atomic_write(os.path.join(out_dir, "graph.pb"), graph_def.SerializeToString())
    atomic_write(os.path.join(out_dir, "trace.json"), json.dumps(record).encode("utf-8"))


def quiet_tensorflow(tf):
    tf.get_logger().setLevel("ERROR")
    tf.autograph.set_verbosity(0)


def imported_project_files(project_root, script):
    root = os.path.realpath(project_root)
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        real = os.path.realpath(path)
        if real.startswith(root + os.sep) and real != os.path.realpath(script) and \
                not real.startswith(AGENT_DIR + os.sep):
            files.add(real)
    return sorted(files)


def _append_error(record, note):
    record["error"] = f"{record['error']}\n{note}" if record["error"] else note


def install_sandbox(tf, project_root, out_dir):
    guard_module = importlib.import_module(f"{agentlib.__name__}.guard")
    guard = guard_module.ProjectGuard(project_root, allowed=[out_dir]).install()
    neutralised = []
    guard_module.neutralise_tf_writers(tf, guard, neutralised.append)
    return guard, guard_module, neutralised


def install_hooks(tf, mode, guard_module, neutralised):
    lib = agentlib.__name__
    modules = importlib.import_module(f"{lib}.modules")
    datasets = importlib.import_module(f"{lib}.datasets")
    training = importlib.import_module(f"{lib}.training")
    factories = {}
    examples = lambda: datasets.examples_modules(STATE)  # noqa: E731 - one factory for several names
    for name in ("tensorflow.examples", "tensorflow.examples.tutorials", "tensorflow.examples.tutorials.mnist",
                 "tensorflow.examples.tutorials.mnist.input_data"):
        factories[name] = examples
    contrib = lambda: compat.contrib_submodules(compat.contrib_module(tf, STATE))  # noqa: E731
    for name in ("tensorflow.contrib", "tensorflow.contrib.layers", "tensorflow.contrib.rnn",
                 "tensorflow.contrib.slim", "tensorflow.contrib.framework", "tensorflow.contrib.distributions",
                 "tensorflow.contrib.learn", "tensorflow.contrib.learn.datasets",
                 "tensorflow.contrib.learn.python", "tensorflow.contrib.learn.python.learn",
                 "tensorflow.contrib.learn.python.learn.datasets",
                 "tensorflow.contrib.learn.python.learn.datasets.mnist"):
        factories[name] = contrib
    if mode == "v1":
        keras_aliases = lambda: compat.keras_module_aliases(sys.modules["tensorflow"])  # noqa: E731
        for name in ("tensorflow.keras", "tensorflow.keras.layers", "tensorflow.keras.models",
                     "tensorflow.keras.backend", "tensorflow.keras.losses", "tensorflow.keras.optimizers",
                     "tensorflow.keras.initializers", "tensorflow.keras.regularizers",
                     "tensorflow.keras.activations", "tensorflow.keras.datasets", "tensorflow.keras.utils",
                     "tensorflow.keras.callbacks", "tensorflow.keras.metrics", "tensorflow.keras.constraints"):
            factories[name] = keras_aliases
    modules.install(modules.StandInFinder(factories))
    hooks = modules.install(modules.PostImportHooks())
    hooks.add("keras.src.ops.operation", lambda module: training.patch_operation(module, tf))
    hooks.add("keras.src.trainers.trainer", lambda module: training.patch_trainer(module, tf))
    hooks.add("keras.src.models.model", lambda module: (training.patch_model(module, tf, STATE),
                                                         guard_module.neutralise_keras_writers(module, neutralised.append)))
    for name in datasets.KERAS_DATASETS:
        hooks.add(f"keras.src.datasets.{name}",
                  lambda module, _name=name: datasets.patch_keras_dataset_module(module, _name, STATE))
    training.patch_gradient_tape(tf, STATE)
    training.patch_functions(tf, STATE)
    return training


def main(argv=None):
    parser = argparse.ArgumentParser(description="nanscope tracing agent (started by the runner)")
    parser.add_argument("--script", required=True)
    parser.add_argument("--function", default=None, help="import the script as a module and call this function")
    parser.add_argument("--out", required=True)
    parser.add_argument("--project-root", default=None)
    parser.add_argument("--mode", choices=("auto", "v1", "v2"), default="auto")
    parser.add_argument("--memory-limit-mb", type=int, default=DEFAULT_MEMORY_LIMIT_MB)
    args = parser.parse_args(argv)

    script = os.path.abspath(args.script)
    out_dir = os.path.abspath(args.out)
    project_root = os.path.abspath(args.project_root) if args.project_root else os.path.dirname(script)
    limited = set_memory_limit(args.memory_limit_mb)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    roots = imports_module.script_roots(script, project_root)
    fix_sys_path(script, project_root, function_entry=args.function is not None)
    sys.argv = [script]

    record = {"status": "failed", "error": None, "error_frames": [], "mode": None, "frames": {},
              "tf_version": None, "python": sys.version.split()[0],
              "entry": {"script": script, "function": args.function}, "stop": None, "function_frames": {},
              "variables": {}, "observed_ranges": {}, "stand_ins": {}, "notes": [], "imported_files": [],
              "redirected_writes": [], "neutralised": [],
              "memory_limit_mb": args.memory_limit_mb if limited else None}
    try:
        with open(script, "rb") as handle:
            handle.read()
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
    compat.numpy_aliases()
    mode = detect_project_mode(script, project_root, roots) if args.mode == "auto" else args.mode
    record["mode"], record["tf_version"] = mode, tf.__version__
    guard, guard_module, neutralised = install_sandbox(tf, project_root, out_dir)
    training = install_hooks(tf, mode, guard_module, neutralised)
    if mode == "v1":
        tf.compat.v1.disable_v2_behavior()
        install_v1_proxy(tf, STATE)
    sessions = importlib.import_module(f"{agentlib.__name__}.sessions")
    sessions.patch_sessions(tf, STATE)

    frame_filter = frames_module.default_filter()
    frames_module.keep_code_objects()
    outcome = run_entry(script, args.function, project_root)
    guard.stop()
    record["status"] = outcome.status
    if outcome.exception is not None:
        record["error"], record["error_frames"] = describe_error(outcome.exception, frame_filter)
        if isinstance(outcome.exception, MemoryError) or type(outcome.exception).__name__ == "ResourceExhaustedError":
            _append_error(record, f"(tracing runs with a memory limit of {args.memory_limit_mb} MiB)")
    if outcome.stop is not None:
        record["stop"] = {"reason": outcome.stop.reason, "frames": outcome.stop.frames}

    graph_def = None
    try:
        graphs = collect_graphs(tf, mode, outcome, training)
        export = importlib.import_module(f"{agentlib.__name__}.export")
        if graphs:
            exported = export.export(tf, graphs, STATE, frame_filter)
            graph_def = exported.graph_def
            record["frames"] = exported.frames
            record["function_frames"] = exported.function_frames
            record["variables"] = exported.variables
    except StopTracing as stop:
        _append_error(record, f"tracing the script's models stopped unexpectedly at {stop.reason}")
    except Exception as error:  # noqa: BLE001 - whatever TF raises here, trace.json must still be written
        _append_error(record, f"the graph could not be exported: {type(error).__name__}: {error}")
    record["observed_ranges"] = STATE.observed
    record["stand_ins"] = STATE.stand_ins
    record["notes"] = STATE.notes
    record["imported_files"] = imported_project_files(project_root, script)
    record["redirected_writes"] = [list(item) for item in guard.redirected]
    record["neutralised"] = sorted(set(neutralised))
    write_results(out_dir, record, graph_def)
    return 0


def collect_graphs(tf, mode, outcome, training):
    stop = outcome.stop
    if stop is not None and stop.graph is not None:
        return [("graph", stop.graph)]
    if mode == "v1":
        return [("graph", pick_graph(tf, None, outcome.namespace))]
    return v2_graphs(tf, outcome, training)


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
