"""How the user's file names TensorFlow: the spelling fixes use for the functions they introduce.

Owns the table of where each function a fix writes lives (`tf.maximum` and `tf.math.maximum`,
`tf.nn.log_softmax`, ...; checked against TensorFlow 2.21 and its `compat.v1`), and the resolution of
names in one file: `import tensorflow as tf`, `import tensorflow.compat.v1 as tf`,
`from tensorflow import math as tm`, `from tensorflow.math import maximum`. A fix keeps the user's
spelling: first the receiver of the call being fixed (`tf.math.log(x)` -> `tf.math.maximum`,
`tf.compat.v1.log(x)` -> `tf.compat.v1.maximum`), then the file's other names for TensorFlow, shortest
first. When the file has no name for a module holding the function, the fix that needs it is not offered.
"""
from __future__ import annotations

from astroid import nodes

# Function -> the modules that define it, in order of preference within one root.
FUNCTION_MODULES: dict[str, tuple[str, ...]] = {
    "maximum": ("tensorflow", "tensorflow.math", "tensorflow.compat.v1", "tensorflow.compat.v1.math"),
    "minimum": ("tensorflow", "tensorflow.math", "tensorflow.compat.v1", "tensorflow.compat.v1.math"),
    "clip_by_value": ("tensorflow", "tensorflow.compat.v1"),
    "divide_no_nan": ("tensorflow.math", "tensorflow.compat.v1.math"),
    "reciprocal_no_nan": ("tensorflow.math", "tensorflow.compat.v1.math"),
    "log_softmax": ("tensorflow.nn", "tensorflow.math", "tensorflow.compat.v1.nn", "tensorflow.compat.v1.math"),
    "log_sigmoid": ("tensorflow.math", "tensorflow.compat.v1.math", "tensorflow.compat.v1"),
    "softmax_cross_entropy_with_logits": ("tensorflow.nn", "tensorflow.compat.v1.nn"),
}
# Spellings of the same module.
_CANONICAL = {"tensorflow.compat.v2": "tensorflow"}


def _canonical(module: str) -> str:
    for prefix, target in _CANONICAL.items():
        if module == prefix or module.startswith(prefix + "."):
            return target + module[len(prefix):]
    return module


class Namespace:
    """The names one module binds to TensorFlow modules and functions (imports anywhere in the file)."""

    def __init__(self, module: nodes.Module | None):
        self.bindings: dict[str, str] = {}    # local name -> dotted TensorFlow path (module or function)
        if module is not None:
            for node in module.nodes_of_class((nodes.Import, nodes.ImportFrom)):
                self._bind(node)

    def _bind(self, node: nodes.Import | nodes.ImportFrom) -> None:
        if isinstance(node, nodes.Import):
            for name, alias in node.names:
                if not _is_tensorflow(name):
                    continue
                if alias:
                    self.bindings.setdefault(alias, _canonical(name))
                else:   # `import tensorflow.math` binds `tensorflow`
                    self.bindings.setdefault(name.split(".")[0], "tensorflow")
            return
        if node.level or not node.modname or not _is_tensorflow(node.modname):
            return
        for name, alias in node.names:
            if name != "*":
                self.bindings.setdefault(alias or name, _canonical(f"{node.modname}.{name}"))

    def resolve(self, expression: nodes.NodeNG) -> str | None:
        """The TensorFlow path an expression like `tf.math` names, or None."""
        parts = []
        while isinstance(expression, nodes.Attribute):
            parts.append(expression.attrname)
            expression = expression.expr
        if not isinstance(expression, nodes.Name) or expression.name not in self.bindings:
            return None
        return _canonical(".".join([self.bindings[expression.name], *reversed(parts)]))

    def spell(self, function: str, receiver: nodes.NodeNG | None = None) -> str | None:
        """How to write `function` (a key of FUNCTION_MODULES) in this file, or None when it cannot be
        named. `receiver` is the callee receiver of the call being fixed (`tf.math` in `tf.math.log`)."""
        homes = FUNCTION_MODULES[function]
        for prefix_text, path in _prefixes(receiver, self):
            for home in homes:
                if home == path or home.startswith(path + "."):
                    return prefix_text + home[len(path):] + "." + function
        for name, path in self.bindings.items():   # `from tensorflow.math import maximum`
            if any(path == f"{home}.{function}" for home in homes):
                return name
        options = []
        for name, path in self.bindings.items():
            for rank, home in enumerate(homes):
                if home == path or home.startswith(path + "."):
                    options.append((rank, len(name + home[len(path):]), name + home[len(path):] + "." + function))
        return min(options)[2] if options else None


def _prefixes(receiver: nodes.NodeNG | None, names: Namespace) -> list[tuple[str, str]]:
    """(text, TensorFlow path) of each prefix of a receiver chain that names a TensorFlow module, longest
    first: `tf.compat.v1.math` -> [("tf.compat.v1.math", ...), ("tf.compat.v1", ...), ("tf", ...)]."""
    chain = []
    node = receiver
    while isinstance(node, nodes.Attribute):
        chain.append(node)
        node = node.expr
    if not isinstance(node, nodes.Name):
        return []
    chain.append(node)
    found = []
    for prefix in chain:   # longest first
        path = names.resolve(prefix)
        if path is not None:
            found.append((_dotted(prefix), path))
    return found


def _dotted(node: nodes.NodeNG) -> str:
    parts = []
    while isinstance(node, nodes.Attribute):
        parts.append(node.attrname)
        node = node.expr
    assert isinstance(node, nodes.Name)
    return ".".join([node.name, *reversed(parts)])


def _is_tensorflow(name: str) -> bool:
    return name == "tensorflow" or name.startswith("tensorflow.")


def receiver_of(call: nodes.Call) -> nodes.NodeNG | None:
    """`tf.math` for `tf.math.log(x)`; None for a bare name `log(x)`."""
    return call.func.expr if isinstance(call.func, nodes.Attribute) else None
