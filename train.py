"""Train and evaluate a model from a config file.

    python train.py --config configs/topic_tfidf.yaml [--output-dir DIR] [--set model.C=0.5 ...]

The same as ``mlpkg train``.
"""

import sys

from mlpkg.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["train", *sys.argv[1:]]))
