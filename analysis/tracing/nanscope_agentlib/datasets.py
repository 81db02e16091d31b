"""Synthetic stand-ins for well-known dataset loaders, so that a traced script gets data of the right
shapes, dtypes and value ranges without files or a network.

- Keras: `keras.datasets.{mnist,fashion_mnist,cifar10,cifar100,imdb,reuters,boston_housing,
  california_housing}.load_data` (patched where Keras 3 defines them; in v1 mode `tf.keras.datasets` is
  `keras_datasets_module`). When the dataset file is already in the local Keras cache the real loader
  runs (it reads the file, no network); otherwise the stand-in.
- TensorFlow 1: `tensorflow.examples.tutorials.mnist.input_data.read_data_sets` (and contrib's copy):
  `DataSet`s with `images` (float32 in [0, 1], flat 784 unless reshape=False) and `labels` (class ids or
  one-hot), `next_batch` and `num_examples`; reads the four MNIST files from the given folder when they
  are there, else synthesises them.

Arrays a stand-in makes are `StandInArray`s (an ndarray subclass that NumPy keeps through slicing and
arithmetic), so a range observed from them can say that it came from synthetic data. Every stand-in
that is used is recorded in the trace state. Both extremes of each value range occur in the data.
"""
from __future__ import annotations

import gzip
import os
import sys
import types

import numpy as np

SEED = 1234


class StandInArray(np.ndarray):
    """Synthetic data; `dataset` names the stand-in that produced it."""

    dataset = None

    def __array_finalize__(self, obj):
        self.dataset = getattr(obj, "dataset", None)


def mark(array, dataset):
    marked = np.asarray(array).view(StandInArray)
    marked.dataset = dataset
    return marked


def stand_in_source(value):
    """The dataset name if `value` (or any array in a list/tuple) is stand-in data, else None."""
    if isinstance(value, StandInArray):
        return value.dataset
    if isinstance(value, (list, tuple)):
        for item in value:
            name = stand_in_source(item)
            if name:
                return name
    return None


def _images(rng, count, shape, dtype=np.uint8, high=255):
    data = rng.integers(0, high + 1, size=(count, *shape), dtype=dtype)
    data.reshape(count, -1)[0, :2] = (0, high)
    return data


def _labels(rng, count, classes, shape=()):
    data = rng.integers(0, classes, size=(count, *shape), dtype=np.uint8 if classes <= 256 else np.int64)
    data.reshape(-1)[:2] = (0, classes - 1)
    return data


def _sequences(rng, count, num_words, length=80):
    words = max(int(num_words or 10000), 4)
    sequences = np.empty(count, dtype=object)
    for index in range(count):
        sequence = rng.integers(1, words, size=int(rng.integers(length // 2, length + 1))).tolist()
        sequences[index] = [1] + sequence
    sequences[0][-1] = words - 1
    return sequences


def keras_stand_in(name, state=None, **kwargs):
    """Synthetic ((x_train, y_train), (x_test, y_test)) for a Keras dataset, like `load_data` returns."""
    rng = np.random.default_rng(SEED)
    if name in ("mnist", "fashion_mnist"):
        split = [(60000, (28, 28)), (10000, (28, 28))]
        parts = [(_images(rng, n, shape), _labels(rng, n, 10)) for n, shape in split]
    elif name in ("cifar10", "cifar100"):
        classes = 10 if name == "cifar10" else (20 if kwargs.get("label_mode") == "coarse" else 100)
        parts = [(_images(rng, n, (32, 32, 3)), _labels(rng, n, classes, (1,))) for n in (50000, 10000)]
    elif name in ("imdb", "reuters"):
        classes = 2 if name == "imdb" else 46
        sizes = (25000, 25000) if name == "imdb" else (8982, 2246)
        parts = [(_sequences(rng, n, kwargs.get("num_words")), _labels(rng, n, classes).astype(np.int64))
                 for n in sizes]
    elif name == "boston_housing":
        parts = []
        for n in (404, 102):
            x = rng.uniform(0.0, 100.0, size=(n, 13))
            parts.append((x, rng.uniform(5.0, 50.0, size=(n,))))
    elif name == "california_housing":
        parts = []
        for n in (16512, 4128):
            parts.append((rng.uniform(-125.0, 40.0, size=(n, 8)).astype(np.float32),
                          rng.uniform(14999.0, 500001.0, size=(n,)).astype(np.float32)))
    else:
        raise ValueError(f"no stand-in for dataset {name!r}")
    if state is not None:
        state.use_stand_in(f"keras.datasets.{name}", f"synthetic {name} data (the dataset file is not available "
                           "offline)")
    label = f"keras.datasets.{name}"
    return tuple((mark(x, label), mark(y, label)) for x, y in parts)


KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                  "california_housing")
KERAS_FILES = {"mnist": "mnist.npz", "fashion_mnist": "fashion-mnist", "cifar10": "cifar-10-batches-py",
               "cifar100": "cifar-100-python", "imdb": "imdb.npz", "reuters": "reuters.npz",
               "boston_housing": "boston_housing.npz", "california_housing": "california_housing.npz"}


def _keras_cached(name):
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.exists(os.path.join(home, "datasets", KERAS_FILES[name]))


def make_keras_loader(name, original, state=None):
    def load_data(*args, **kwargs):
        if original is not None and _keras_cached(name):
            return original(*args, **kwargs)
        parameters = dict(kwargs)
        if name in ("cifar100",) and args:
            parameters.setdefault("label_mode", args[0])
        if name in ("imdb", "reuters") and "num_words" not in parameters and args and not isinstance(args[0], str):
            parameters["num_words"] = args[0]
        return keras_stand_in(name, state, **parameters)
    load_data.__name__ = "load_data"
    load_data.__qualname__ = f"{name}.load_data"
    load_data._nanscope_stand_in = True
    return load_data


def patch_keras_dataset_module(module, name, state=None):
    """Replace `module.load_data` (a Keras 3 `keras.src.datasets.<name>` module) by the stand-in."""
    original = getattr(module, "load_data", None)
    if original is None or getattr(original, "_nanscope_stand_in", False):
        return
    replacement = make_keras_loader(name, original, state)
    module.load_data = replacement
    # Keras' public modules (keras.datasets.mnist, tf.keras.datasets.mnist) bound the original already when
    # Keras was imported before this patch (TensorFlow's import does that).
    for other in list(sys.modules.values()):
        if other is not module and getattr(other, "load_data", None) is original:
            try:
                other.load_data = replacement
            except (AttributeError, TypeError):
                pass


def keras_datasets_module(state=None):
    """A `datasets` package for the v1 `tf.keras` (TensorFlow's internal Keras has none)."""
    package = types.ModuleType("tensorflow.keras.datasets", "keras.datasets (nanscope tracing stand-ins)")
    for name in KERAS_DATASETS:
        module = types.ModuleType(f"tensorflow.keras.datasets.{name}")
        module.load_data = make_keras_loader(name, None, state)
        setattr(package, name, module)
    return package


# -- TensorFlow 1's MNIST reader -----------------------------------------------------------------------

MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz")


class DataSet:
    """`tensorflow.contrib.learn.python.learn.datasets.mnist.DataSet`, enough of it for training loops."""

    def __init__(self, images, labels, dtype=np.float32, reshape=True, seed=None):
        self._images = images
        self._labels = labels
        self._num_examples = images.shape[0]
        self._epochs_completed = 0
        self._index_in_epoch = 0

    images = property(lambda self: self._images)
    labels = property(lambda self: self._labels)
    num_examples = property(lambda self: self._num_examples)
    epochs_completed = property(lambda self: self._epochs_completed)

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        start = self._index_in_epoch
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            start = 0
        self._index_in_epoch = start + batch_size
        return self._images[start:start + batch_size], self._labels[start:start + batch_size]


class Datasets(tuple):
    def __new__(cls, train, validation, test):
        return super().__new__(cls, (train, validation, test))

    train = property(lambda self: self[0])
    validation = property(lambda self: self[1])
    test = property(lambda self: self[2])


def _read_idx(path):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def read_data_sets(train_dir="MNIST_data", fake_data=False, one_hot=False, dtype=np.float32, reshape=True,
                   validation_size=5000, seed=None, source_url=None, state=None):
    """The TF1 MNIST reader: the files in `train_dir` when all four are there, else synthetic data."""
    paths = [os.path.join(str(train_dir), name) for name in MNIST_FILES]
    label = None
    if all(os.path.exists(path) for path in paths):
        train_images, train_labels, test_images, test_labels = (_read_idx(path) for path in paths)
        train_images, test_images = train_images[..., None], test_images[..., None]
    else:
        label = "tensorflow.examples.tutorials.mnist"
        rng = np.random.default_rng(SEED)
        train_images, test_images = _images(rng, 60000, (28, 28, 1)), _images(rng, 10000, (28, 28, 1))
        train_labels, test_labels = _labels(rng, 60000, 10), _labels(rng, 10000, 10)
        if state is not None:
            state.use_stand_in(label, "synthetic MNIST data for input_data.read_data_sets (images in [0, 1], "
                               "labels in 0..9 or one-hot)")

    def convert(images, labels):
        if reshape:
            images = images.reshape(images.shape[0], -1)
        if np.dtype(getattr(dtype, "as_numpy_dtype", dtype)) == np.float32:
            images = images.astype(np.float32) * (1.0 / 255.0)
        if one_hot:
            labels = np.eye(10, dtype=np.float64)[labels]
        if label is not None:
            images, labels = mark(images, label), mark(labels, label)
        return images, labels

    train_images, train_labels = convert(train_images, train_labels)
    test_images, test_labels = convert(test_images, test_labels)
    validation = DataSet(train_images[:validation_size], train_labels[:validation_size])
    train = DataSet(train_images[validation_size:], train_labels[validation_size:])
    return Datasets(train, validation, DataSet(test_images, test_labels))


def mnist_reader_module(state=None):
    """`tensorflow.examples.tutorials.mnist.input_data` (also contrib's `learn.datasets.mnist`)."""
    module = types.ModuleType("tensorflow.examples.tutorials.mnist.input_data",
                              "input_data (nanscope tracing stand-in)")

    def read(train_dir="MNIST_data", fake_data=False, one_hot=False, dtype=np.float32, reshape=True,
             validation_size=5000, seed=None, source_url=None):
        return read_data_sets(train_dir, fake_data, one_hot, dtype, reshape, validation_size, seed, source_url,
                              state=state)

    module.read_data_sets = read
    module.DataSet = DataSet
    module.Datasets = Datasets
    module.load_mnist = lambda train_dir="MNIST-data": read(train_dir)
    return module


def examples_modules(state=None):
    """{dotted name: module} for `from tensorflow.examples.tutorials.mnist import input_data`."""
    input_data = mnist_reader_module(state)
    names = {}
    parent = None
    for dotted in ("tensorflow.examples", "tensorflow.examples.tutorials", "tensorflow.examples.tutorials.mnist"):
        module = types.ModuleType(dotted, f"{dotted} (nanscope tracing stand-in)")
        module.__path__ = []
        if parent is not None:
            setattr(parent, dotted.rsplit(".", 1)[1], module)
        names[dotted] = parent = module
    parent.input_data = input_data
    names["tensorflow.examples.tutorials.mnist.input_data"] = input_data
    return names
