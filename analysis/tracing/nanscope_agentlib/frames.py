"""Which stack frames are user code, and which frames an op should be attributed to.

`FrameFilter` keeps the frames of the user's files: not the standard library, not site-packages or
dist-packages, not nanscope's tracing code, not files without a path, not AutoGraph's generated files
(TensorFlow maps those back to the user's source in `op.traceback` already).

`Provenance` attributes ops that Keras made on the user's behalf. While a FuncGraph is built, every call
of a Keras operation (a layer, a model, a `keras.ops` function node) and every loss computation is
recorded as an interval of op creation indices together with the user frames at the call and the frames
where the layer was constructed (or where the model was compiled). An op whose own user frames do not go
deeper than the call (it was made inside Keras, not by user code the call ran) gets the frames of the
innermost such call's construction site instead: the Softmax of `Dense(10, activation="softmax")` maps to
that line, not to the line that called the model.
"""
from __future__ import annotations

import os
import sys
import sysconfig

TRACING_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))   # analysis/tracing
AUTOGRAPH_PREFIX = "__autograph_generated_file"


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
        if "site-packages" in parts or "dist-packages" in parts:
            return None
        if real.startswith(TRACING_DIR + os.sep) or os.path.basename(real).startswith(AUTOGRAPH_PREFIX):
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


_FILTER = None


def default_filter():
    global _FILTER
    if _FILTER is None:
        _FILTER = FrameFilter()
    return _FILTER


def live_user_frames(skip=1):
    """The user frames of the current Python stack, outermost first. Uses TensorFlow's stack extraction
    when TensorFlow is loaded, so that frames of AutoGraph-converted code map to the user's source the
    same way `op.traceback` does."""
    frame_filter = default_filter()
    tf_stack = sys.modules.get("tensorflow.python.util.tf_stack")
    if tf_stack is not None:
        try:
            stack = tf_stack.extract_stack(stacklevel=skip + 1)
            return frame_filter.frames((f.filename, f.lineno, f.name) for f in stack)
        except (AttributeError, KeyError, IndexError, TypeError):   # no source map set up on this thread
            pass
    triples = []
    frame = sys._getframe(skip)
    while frame is not None:
        triples.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return frame_filter.frames(reversed(triples))


def op_user_frames(op, frame_filter=None):
    frame_filter = frame_filter or default_filter()
    stack = op.traceback or ()
    return frame_filter.frames((frame.filename, frame.lineno, frame.name) for frame in stack)


def op_count(graph):
    """How many ops `graph` holds (ops are numbered in creation order and never removed)."""
    nodes = getattr(graph, "_nodes_by_id", None)
    return len(nodes) if nodes is not None else len(graph.get_operations())


class Provenance:
    """Records, per graph being built, the op index intervals of Keras calls (see the module docstring)."""

    def __init__(self):
        self._calls = []        # (graph, start, end, entry frames, construction frames), in exit order
        self._explicit = {}     # (id(graph), op name) -> frames

    def record(self, graph, start, entry_frames, construction_frames):
        if construction_frames:
            self._calls.append((graph, start, op_count(graph), entry_frames, construction_frames))

    def set_frames(self, graph, op_name, frames):
        if frames:
            self._explicit[(id(graph), op_name)] = [list(frame) for frame in frames]

    def frames_for(self, graph, frame_filter=None):
        """{op name: user frames} in creation order, for ops of `graph` with any frame."""
        operations = graph.get_operations()
        base = [op_user_frames(op, frame_filter) for op in operations]
        chosen = list(base)
        decided = [False] * len(operations)
        for call_graph, start, end, entry, construction in self._calls:
            if call_graph is not graph:
                continue
            for index in range(start, min(end, len(operations))):
                if decided[index]:
                    continue
                decided[index] = True
                if len(base[index]) <= len(entry):
                    chosen[index] = [list(frame) for frame in construction]
        result = {}
        for op, frames in zip(operations, chosen):
            frames = self._explicit.get((id(graph), op.name), frames)
            if frames:
                result[op.name] = frames
        return result


PROVENANCE = Provenance()


# TensorFlow's op tracebacks hold code objects without owning them: once a module's code has run, its
# `<module>` code object (and with it the code of every function defined in it) may be freed and its
# memory reused, and converting such a traceback later fails or reads garbage. The agent therefore keeps
# the code objects of the script and of every module imported while tracing.
CODE_OBJECTS = []


def keep_code_objects():
    """Keep the code of every module loaded from a file from now on (see CODE_OBJECTS)."""
    from importlib import machinery

    for loader in (machinery.SourceFileLoader, machinery.SourcelessFileLoader):
        original = loader.get_code
        if getattr(original, "_nanscope_keeps_code", False):
            continue

        def get_code(self, fullname, _original=original):
            code = _original(self, fullname)
            if code is not None:
                CODE_OBJECTS.append(code)
            return code

        get_code._nanscope_keeps_code = True
        loader.get_code = get_code

