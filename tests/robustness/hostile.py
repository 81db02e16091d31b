"""Hostile and broken Python scripts for the robustness tests: name -> source (bytes or text)."""
from __future__ import annotations

# A small TF-1-style model with one unsafe op: `tf.log` of a softmax (NS101). Scripts that should still be
# analysed end with it, so the test can see that the graph was built and checked.
MODEL = """
tf.compat.v1.disable_eager_execution()
x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
w = tf.Variable(tf.zeros([4, 3]))
y = tf.nn.softmax(tf.matmul(x, w))
loss = -tf.reduce_sum(tf.math.log(y))
"""

TF = "import tensorflow as tf\n"

# name -> (source, what the CLI must say about it: "finding", "skipped", or an error substring)
SCRIPTS: dict[str, tuple[str | bytes, str]] = {
    "syntax_error": (TF + "x = tf.constant(1.0\ndef f(:\n", "SyntaxError"),
    "not_utf8": ((TF + "# caf\xe9 \xff\xfe\n").encode("latin-1") + b"x = 1\n", "utf-8"),
    "fifty_k_lines": (TF + "".join(f"v{i} = {i}\n" for i in range(50_000)) + MODEL, "finding"),
    "non_tensorflow": ("import math\nprint(math.log(0.5))\n", "skipped"),
    "empty": ("", "skipped"),
    "sys_exit": (TF + "import sys\nsys.exit(3)\n", "exit"),
    "os_exit": (TF + "import os\nos._exit(7)\n", "exit"),
    "huge_output": (TF + "import sys\nsys.stdout.write('o' * 3_000_000)\nsys.stderr.write('e' * 3_000_000)\n"
                    "print('\\n'.join(str(i) for i in range(200_000)))\n" + MODEL, "finding"),
    "reads_stdin": (TF + "import sys\ndata = sys.stdin.read()\nprint(repr(data))\ntry:\n    input()\n"
                    "except EOFError:\n    pass\n" + MODEL, "finding"),
    "raises_in_tf_op": (TF + "a = tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])\n",
                        "InvalidArgumentError"),
    "segfault": (TF + "import ctypes\nctypes.string_at(0)\n", "SIGSEGV"),
    "exhausts_memory": (TF + "chunks = []\nwhile True:\n    chunks.append(bytearray(256 * 2**20))\n", "MemoryError"),
    "missing_package": (TF + "import nanscope_no_such_package_xyz\n", "ModuleNotFoundError"),
    "deep_recursion": (TF + "def f(n):\n    return f(n + 1)\nf(0)\n", "RecursionError"),
}

# Scripts that never finish: checked with a short --timeout in a run of their own. Each child it starts
# writes its pid into PIDS (a file next to the script) so the test can check they were killed.
FOREVER: dict[str, str] = {
    "loops_forever": TF + "while True:\n    pass\n",
    "sleeps": TF + "import time\ntime.sleep(3600)\n",
    "forks_children": TF + """import os, subprocess, sys, time
def record(pid):
    fd = os.open(PIDS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(fd, f"{pid}\\n".encode())
    os.close(fd)
record(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid)
pid = os.fork()
if pid == 0:
    record(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid)
    time.sleep(600)
    os._exit(0)
record(pid)
while True:
    time.sleep(0.1)
""",
}
