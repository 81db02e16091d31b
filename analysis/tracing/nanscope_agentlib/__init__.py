"""The tracing agent's helper modules. They run inside the user's interpreter, next to the user's script,
so they import only the standard library, NumPy and TensorFlow (NumPy and TensorFlow only inside
functions, so that nanscope's own tests can import the pure parts without TensorFlow).

`agent.py` imports this package by putting its own folder on sys.path for the moment of the import (the
package name is unique, so it cannot shadow a user's module). Inside nanscope it is also importable as
`nanscope.analysis.tracing.nanscope_agentlib`; the modules only use relative imports.

- `state`: the one mutable record of what happened while tracing (stop reason, stand-ins, ranges).
- `frames`: which stack frames are user code; which ops a Keras layer call made (provenance).
- `compat`: TensorFlow 1 names on TensorFlow 2 (the v1 proxy, tf.layers, tf.nn.rnn_cell, tf.contrib,
  tf.keras in graph mode, removed NumPy aliases); `layers` and `rnn` hold the stand-in layers and cells.
- `modules`: import hooks (stand-in modules, post-import patches).
- `datasets`: synthetic stand-ins for well-known dataset loaders.
- `guard`: TensorFlow's writers and writes into the project are neutralised.
- `sessions`: Session.run stops the script (initializer runs are skipped); the first feed is observed.
- `training`: Keras fit/train_on_batch and GradientTape stop the script; models and tf.functions are
  traced into FuncGraphs.
- `export`: graphs -> GraphDef bytes and per-op frames (captured variables become VarHandleOps).
- `imports`: the static import graph of a project (stdlib `ast`; also used by nanscope itself).
"""
