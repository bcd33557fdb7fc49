"""Fashion-MNIST as the bench/fmnist scripts read it (Debian's
dataset-fashion-mnist): pixels / 255 as float64, labels as uint8."""
import gzip

import numpy as np

D = "/usr/share/datasets/fashion-mnist/"


def idx(name, skip):
    with gzip.open(D + name) as f:
        return np.frombuffer(f.read()[skip:], dtype=np.uint8)


def load():
    """Returns X, y (training) and Xt, yt (test)."""
    X = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
    y = idx("train-labels-idx1-ubyte.gz", 8)
    Xt = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
    yt = idx("t10k-labels-idx1-ubyte.gz", 8)
    return X, y, Xt, yt
