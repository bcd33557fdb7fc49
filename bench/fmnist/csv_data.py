"""Writes Fashion-MNIST's 60,000 training images as a CSV (columns p0 …
p783, pixels 0–255, and label) for the bench/fmnist/kmeans-run.sh path
through 'spindle run'. Usage: csv_data.py OUT.csv"""
import sys

import numpy as np

from fmnist_data import idx

X = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784)
y = idx("train-labels-idx1-ubyte.gz", 8)
header = ",".join([f"p{j}" for j in range(784)] + ["label"])
np.savetxt(sys.argv[1], np.column_stack([X, y]).astype(np.int64), fmt="%d", delimiter=",", header=header, comments="")
