"""Import hooks used while tracing.

- `StandInFinder` serves prebuilt modules by name (`tensorflow.examples.tutorials.mnist.input_data`,
  `tensorflow.contrib.slim`, ...), built on first import by a factory.
- `PostImportHooks` runs callbacks right after a module executes (the Keras patches must reach classes
  that are only imported when the script first touches `tf.keras`; importing Keras eagerly would cost a
  second on every trace).
Both are meta path finders inserted at the front of sys.meta_path.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys


class StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the modules that `factories` produce: {dotted name: callable returning {name: module}}. One
    factory call may produce several modules (a package and its children); all are cached."""

    def __init__(self, factories):
        self._factories = dict(factories)
        self._modules = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self._factories and fullname not in self._modules:
            return None
        module = self._module(fullname)
        prefix = fullname + "."
        if not hasattr(module, "__path__") and any(name.startswith(prefix) for name in (*self._factories, *self._modules)):
            module.__path__ = []              # it has stand-in submodules: a package
        return importlib.util.spec_from_loader(fullname, self, is_package=hasattr(module, "__path__"))

    def _module(self, fullname):
        if fullname not in self._modules:
            self._modules.update(self._factories[fullname]())
        return self._modules[fullname]

    def create_module(self, spec):
        return self._module(spec.name)

    def exec_module(self, module):
        parent, _, child = module.__name__.rpartition(".")
        if parent and parent in sys.modules:
            try:
                setattr(sys.modules[parent], child, module)
            except (AttributeError, TypeError):
                pass


class _HookedLoader(importlib.abc.Loader):
    def __init__(self, loader, callbacks):
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        for callback in self._callbacks:
            callback(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class PostImportHooks(importlib.abc.MetaPathFinder):
    """Calls `callback(module)` after the module called `name` has executed (at once if it already has)."""

    def __init__(self):
        self._hooks = {}
        self._busy = set()

    def add(self, name, callback):
        module = sys.modules.get(name)
        if module is not None:
            callback(module)
            return
        self._hooks.setdefault(name, []).append(callback)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self._hooks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
            if spec is None:
                for finder in sys.meta_path:
                    if finder is self or not hasattr(finder, "find_spec"):
                        continue
                    spec = finder.find_spec(fullname, path, target)
                    if spec is not None:
                        break
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _HookedLoader(spec.loader, self._hooks.pop(fullname))
        return spec


def install(finder):
    sys.meta_path.insert(0, finder)
    return finder
