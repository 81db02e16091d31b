"""A trace never writes into the user's project.

Two layers:

1. TensorFlow's and Keras' own writers become no-ops (they write from C++, out of Python's sight):
   `tf.compat.v1.summary.FileWriter` (a null writer), `tf.summary.create_file_writer` (the no-op writer),
   `Saver.save`/`export_meta_graph`, `tf.io.write_graph`, `tf.train.Checkpoint.save/write`,
   `CheckpointManager.save`, `tf.saved_model.save`, the SavedModelBuilder, `tf.io.gfile` writes and
   folder creation, Keras `Model.save/save_weights/export`.
2. Python-level writes whose target lies inside the project root are redirected or skipped:
   `open`/`io.open` for writing go to os.devnull, `os.open` with write flags likewise, and `os.mkdir`,
   `os.makedirs`, `os.remove`, `os.unlink`, `os.rmdir`, `os.rename`, `os.replace`, `os.utime`,
   `os.truncate`, `shutil.rmtree` do nothing there. An audit hook rejects (PermissionError) the writes into
   the project that still get through (a module that bound `os.open` before tracing started, ...).

Everything outside the project (the agent's output folder, the temp folder, ~/.keras) is untouched.
"""
from __future__ import annotations

import builtins
import functools
import io
import os
import shutil
import sys

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class ProjectGuard:
    def __init__(self, project_root, allowed=()):
        self.root = os.path.realpath(project_root)
        self.allowed = tuple(os.path.realpath(path) for path in allowed)
        self.redirected = []            # (operation, path), for the trace record
        self._active = True

    def inside(self, path):
        """Whether `path` (str, bytes or PathLike; relative to the cwd) lies in the project root."""
        if isinstance(path, int):
            return False
        try:
            text = os.fsdecode(os.fspath(path))
        except TypeError:
            return False
        real = os.path.realpath(os.path.abspath(text))
        if real == os.devnull or any(real == a or real.startswith(a + os.sep) for a in self.allowed):
            return False
        return real == self.root or real.startswith(self.root + os.sep)

    def _record(self, operation, path):
        if len(self.redirected) < 100:
            self.redirected.append((operation, os.fsdecode(os.fspath(path))))

    def install(self):
        original_open = builtins.open

        @functools.wraps(original_open)
        def guarded_open(file, mode="r", *args, **kwargs):
            if isinstance(mode, str) and any(flag in mode for flag in "wax+") and self.inside(file):
                self._record("open", file)
                return original_open(os.devnull, mode.replace("x", "w"), *args, **kwargs)
            return original_open(file, mode, *args, **kwargs)

        builtins.open = guarded_open
        io.open = guarded_open

        original_os_open = os.open

        @functools.wraps(original_os_open)
        def guarded_os_open(path, flags, *args, **kwargs):
            if flags & _WRITE_FLAGS and kwargs.get("dir_fd") is None and self.inside(path):
                self._record("os.open", path)
                return original_os_open(os.devnull, flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC), *args, **kwargs)
            return original_os_open(path, flags, *args, **kwargs)

        os.open = guarded_os_open

        def skip_inside(module, name, arguments=1):
            original = getattr(module, name, None)
            if original is None:
                return

            @functools.wraps(original)
            def guarded(*args, **kwargs):
                paths = list(args[:arguments]) + [kwargs[key] for key in ("path", "src", "dst") if key in kwargs]
                if kwargs.get("dir_fd") is None and any(self.inside(path) for path in paths):
                    self._record(f"{module.__name__}.{name}", paths[0])
                    return None
                return original(*args, **kwargs)

            setattr(module, name, guarded)

        for name in ("mkdir", "makedirs", "remove", "unlink", "rmdir", "removedirs", "utime", "truncate"):
            skip_inside(os, name)
        for name in ("rename", "replace"):
            skip_inside(os, name, arguments=2)
        skip_inside(shutil, "rmtree")
        sys.addaudithook(self._audit)
        return self

    def _audit(self, event, args):
        if not self._active:
            return
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(flag in mode for flag in "wax+")) or \
                (mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
            if writes and path is not None and self.inside(path):
                raise PermissionError(f"nanscope: tracing never writes into the project ({os.fsdecode(path)})")
        elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.truncate", "shutil.rmtree"):
            if args and args[0] is not None and not isinstance(args[0], int) and self.inside(args[0]):
                raise PermissionError(f"nanscope: tracing never writes into the project ({os.fsdecode(args[0])})")

    def stop(self):
        """Stop rejecting writes (the agent writes its results after the script has run)."""
        self._active = False


# -- TensorFlow's own writers -----------------------------------------------------------------------------

class NullFileWriter:
    """Accepts everything `tf.compat.v1.summary.FileWriter` does and writes nothing."""

    def __init__(self, logdir=None, graph=None, *args, **kwargs):
        self._logdir = logdir

    def get_logdir(self):
        return self._logdir

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def neutralise_tf_writers(tf, guard, record):
    """Replace TensorFlow's file writers by no-ops. `record(name)` notes each API that was replaced."""
    v1 = tf.compat.v1

    def replace(owner, name, value, label):
        if owner is not None and getattr(owner, name, None) is not None:
            try:
                setattr(owner, name, value)
            except (AttributeError, TypeError):
                return
            record(label)

    def returns_path(label, index=1):
        def no_op(*args, **kwargs):
            return args[index] if len(args) > index else kwargs.get("save_path") or kwargs.get("file_prefix")
        no_op.__name__ = label
        return no_op

    for module in (getattr(v1, "summary", None), getattr(tf, "summary", None)):
        replace(module, "FileWriter", NullFileWriter, "tf.compat.v1.summary.FileWriter")
    noop_writer = getattr(tf.summary, "create_noop_writer", None)
    if noop_writer is not None:
        for module in (tf.summary, getattr(v1, "summary", None)):
            replace(module, "create_file_writer", lambda *args, **kwargs: noop_writer(),
                    "tf.summary.create_file_writer")
    saver = getattr(v1.train, "Saver", None)
    replace(saver, "save", returns_path("Saver.save", 2), "tf.compat.v1.train.Saver.save")
    replace(saver, "export_meta_graph", lambda *args, **kwargs: None, "tf.compat.v1.train.Saver.export_meta_graph")
    for module in (getattr(tf, "io", None), getattr(v1, "io", None), v1.train):
        replace(module, "write_graph", lambda graph_or_graph_def, logdir, name, as_text=True: os.path.join(
            str(logdir), str(name)), "tf.io.write_graph")
    for cls in (getattr(tf.train, "Checkpoint", None), getattr(v1.train, "Checkpoint", None)):
        replace(cls, "save", returns_path("Checkpoint.save"), "tf.train.Checkpoint.save")
        replace(cls, "write", returns_path("Checkpoint.write"), "tf.train.Checkpoint.write")
    replace(getattr(tf.train, "CheckpointManager", None), "save", lambda *args, **kwargs: None,
            "tf.train.CheckpointManager.save")
    replace(getattr(tf, "saved_model", None), "save", lambda *args, **kwargs: None, "tf.saved_model.save")
    builder = getattr(getattr(v1, "saved_model", None), "Builder", None)
    if builder is not None:
        replace(builder, "__init__", lambda self, export_dir: setattr(self, "_export_dir", export_dir),
                "tf.compat.v1.saved_model.Builder")
        for method in ("save", "add_meta_graph", "add_meta_graph_and_variables"):
            replace(builder, method, lambda *args, **kwargs: None, "tf.compat.v1.saved_model.Builder")
    _guard_gfile(tf, guard, replace)


def _guard_gfile(tf, guard, replace):
    from tensorflow.python.lib.io import file_io

    def skip_inside(function, label):
        @functools.wraps(function)
        def guarded(path, *args, **kwargs):
            if guard.inside(path):
                guard._record(label, path)
                return None
            return function(path, *args, **kwargs)
        return guarded

    original_file_io = file_io.FileIO

    def gfile(name, mode="r"):
        if any(flag in mode for flag in "wa+") and guard.inside(name):
            guard._record("tf.io.gfile.GFile", name)
            return original_file_io(os.devnull, mode)
        return original_file_io(name, mode)

    for name in ("recursive_create_dir", "recursive_create_dir_v2", "create_dir", "create_dir_v2",
                 "delete_file", "delete_file_v2", "delete_recursively", "delete_recursively_v2",
                 "write_string_to_file", "atomic_write_string_to_file"):
        if hasattr(file_io, name):
            setattr(file_io, name, skip_inside(getattr(file_io, name), f"file_io.{name}"))
    for name in ("rename", "rename_v2", "copy", "copy_v2"):
        if hasattr(file_io, name):
            original = getattr(file_io, name)

            def two_paths(old, new, *args, _original=original, _name=name, **kwargs):
                if guard.inside(new) or guard.inside(old):
                    guard._record(f"file_io.{_name}", new)
                    return None
                return _original(old, new, *args, **kwargs)
            setattr(file_io, name, two_paths)
    gfile_modules = [getattr(getattr(tf, "io", None), "gfile", None),
                     getattr(tf.compat.v1, "gfile", None), getattr(getattr(tf.compat.v1, "io", None), "gfile", None)]
    mapping = {"makedirs": "recursive_create_dir_v2", "MakeDirs": "recursive_create_dir", "mkdir": "create_dir_v2",
               "MkDir": "create_dir", "remove": "delete_file_v2", "Remove": "delete_file",
               "rmtree": "delete_recursively_v2", "DeleteRecursively": "delete_recursively",
               "rename": "rename_v2", "Rename": "rename", "copy": "copy_v2", "Copy": "copy"}
    for module in gfile_modules:
        if module is None:
            continue
        for public, internal in mapping.items():
            replace(module, public, getattr(file_io, internal), "tf.io.gfile writes")
        for name in ("GFile", "Open", "FastGFile"):
            replace(module, name, gfile, "tf.io.gfile writes")


def neutralise_keras_writers(model_module, record):
    """Keras 3 `Model.save`, `save_weights` and `export` write nothing (post-import hook on keras.src.models.model)."""
    model = getattr(model_module, "Model", None)
    if model is None:
        return
    for name in ("save", "save_weights", "export"):
        if hasattr(model, name):
            setattr(model, name, lambda self, *args, **kwargs: None)
            record(f"keras.Model.{name}")
