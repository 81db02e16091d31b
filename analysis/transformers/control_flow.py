"""TensorFlow 1 control flow: the ops of `tf.cond` and `tf.while_loop` graphs.

Merge is handled by the interpreter (it joins values, including those arriving over a loop's back edge).
The rest pass values through: a Switch forwards its input on both outputs, since which branch runs is not
known; this is sound because only one of them is taken at run time.
"""
from __future__ import annotations

from nanscope.analysis.transformers.registry import transformer


@transformer("Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration", "LoopCond")
def pass_through(node, inputs, ctx):
    """Exact: the value is forwarded unchanged."""
    return inputs[0]


@transformer("Switch", "RefSwitch")
def switch(node, inputs, ctx):
    """The data input on both outputs (false branch, true branch)."""
    return inputs[0], inputs[0]


@transformer("ControlTrigger")
def control_trigger(node, inputs, ctx):
    return ()


