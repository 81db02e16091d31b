"""A script that never gets to build its graph: it waits forever for a file that never appears.

nanscope gives up after the time limit, kills the process, and reports a timeout: no findings.
"""
# nanscope-test: timeout=8
# nanscope-test: error=timeout
import os
import time

import tensorflow as tf

while not os.path.exists("/nonexistent/ready.flag"):
    time.sleep(0.1)

x = tf.placeholder(tf.float32, [None, 4])
y = tf.log(x)
