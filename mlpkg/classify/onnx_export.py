"""Export an IndoBERT classifier directory to ONNX for CPU serving, and check it agrees with torch.

``mlpkg export-onnx --model DIR`` writes ``DIR/model.onnx`` (window logits from ``input_ids``,
``attention_mask`` and, for BERT, ``token_type_ids``; batch and sequence axes dynamic), scores
a few articles of different lengths with onnxruntime and with torch, and fails unless the
logits agree. Long-text handling and pooling stay in Python, so both runtimes share them:

>>> model = load_model("models/topic_indobert").use_onnx()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ..core.directory import add_to_manifest
from ..errors import ConfigError, OnnxMismatchError
from ..extras import require

ONNX_FILE = "model.onnx"
OPSET = 18
TOLERANCE = 1e-4
# Sample articles for the agreement check: one short, one that fills a whole window.
_SAMPLES = (
    "Koperasi Desa Merah Putih resmi diluncurkan.",
    "Pemerintah menyiapkan kredit usaha rakyat untuk pelaku UMKM di daerah. " * 3,
    "Sekolah rakyat menerima siswa baru tahun ini, kata menteri pendidikan dasar dan menengah. " * 60,
)
_EXTERNAL_DATA_BYTES = 1_500_000_000  # protobuf cannot hold 2 GB in one file


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs optional-dependency notes (torchvision) and upstream deprecations."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _logits_module(model):
    import torch

    class WindowLogits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **kwargs).logits

    return WindowLogits(model).eval()


def export_onnx(model_dir: str | Path, output: str | Path | None = None, tolerance: float = TOLERANCE) -> dict:
    """Write the ONNX file and return the agreement report; raise when ONNX and torch disagree."""
    require("onnx", "mlpkg export-onnx")
    from ..core.directory import load_model
    from .bert import BertClassifier

    model_dir = Path(model_dir)
    model = load_model(model_dir)
    if not isinstance(model, BertClassifier):
        raise ConfigError(f"--model {model_dir}: holds {model.registered_name}; export-onnx exports "
                          f"{BertClassifier.registered_name} classifiers only")
    output = Path(output) if output else model_dir / ONNX_FILE
    output.parent.mkdir(parents=True, exist_ok=True)
    # Export into a staging folder beside the output and move the files into place only once torch and
    # onnxruntime agree: a failed export leaves neither a file nor a manifest entry behind.
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=".onnx-export-"))
    try:
        report = _export_and_check(model, staging / output.name, tolerance)
        written = sorted(path.name for path in staging.iterdir())  # the ONNX file and, for a large model, its data
        for name in written:
            os.replace(staging / name, output.parent / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.update(onnx=str(output), bytes=output.stat().st_size)
    if output.resolve().parent == model_dir.resolve():
        add_to_manifest(model_dir, written)  # the folder was verified at load: only the export's own files join it
    return report


def _export_and_check(model, output: Path, tolerance: float) -> dict:
    """Export ``model`` to ``output`` and score the samples with both runtimes; raise unless they agree."""
    import torch

    model.device_ = torch.device("cpu")
    model.model_.to("cpu").eval()
    windows = [w for doc in model._encode(list(_SAMPLES)) for w in doc]
    example = model._pad(windows)
    names = list(example)
    module = _logits_module(model.model_)
    dims = {name: {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC} for name in names}
    size = sum(p.numel() * p.element_size() for p in module.parameters())
    start = time.perf_counter()
    with _quiet_exporter(), torch.no_grad():
        torch.onnx.export(module, tuple(torch.as_tensor(example[n]) for n in names), str(output), input_names=names,
                          output_names=["logits"], dynamic_shapes=tuple(dims[n] for n in names), opset_version=OPSET,
                          dynamo=True, external_data=size > _EXTERNAL_DATA_BYTES, verbose=False)
    seconds = time.perf_counter() - start

    torch_logits = model.decision_function(list(_SAMPLES))
    torch_windows = np.concatenate([model._window_logits(model._pad([w])) for w in windows])
    model.use_onnx(output)
    onnx_logits = model.decision_function(list(_SAMPLES))
    onnx_windows = model._window_logits(example)  # one padded batch: exercises the dynamic axes and masking
    diff = float(max(np.abs(onnx_logits - torch_logits).max(), np.abs(onnx_windows - torch_windows).max()))
    if diff > tolerance:
        raise OnnxMismatchError(f"ONNX logits differ from torch by up to {diff:.2e} (tolerance {tolerance:.0e}); "
                                f"nothing was written and the model directory is unchanged")
    return {
        "onnx": str(output), "bytes": output.stat().st_size, "opset": OPSET, "inputs": names, "output": "logits",
        "long_text": model.long_text, "export_seconds": round(seconds, 1),
        "check": {"articles": len(_SAMPLES), "windows": len(windows), "max_abs_diff": diff, "tolerance": tolerance,
                  "agree": True},
    }
