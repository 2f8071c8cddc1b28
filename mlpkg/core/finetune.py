"""The lean fine-tuning loop shared by the IndoBERT classifier and the BertSum summariser.

AdamW with linear warm-up and decay, gradient clipping, mixed precision on a GPU (bf16 where
supported, else fp16 with loss scaling; plain fp32 on CPU), a fixed seed, and early stopping on
a dev score with the best epoch's weights restored. torch is imported inside the functions.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError
from .estimator import Param

# Hyperparameters every fine-tuned transformer model shares (classifier and BertSum alike).
FINETUNE_PARAMS = {
        "model_name_or_path": Param(str, "indobenchmark/indobert-base-p1",
                                    doc="hub name or local folder of a transformers checkpoint"),
        "learning_rate": Param(float, 3e-5, low=1e-7, high=1.0),
        "weight_decay": Param(float, 0.01, low=0.0),
        "warmup_ratio": Param(float, 0.1, low=0.0, high=1.0),
        "seed": Param(int, 0),
        "mixed_precision": Param(str, "auto", choices=("auto", "bf16", "fp16", "no"),
                                 doc="GPU only: auto = bf16 where supported, else fp16; CPU always runs fp32"),
        "device": Param(str, "auto", choices=("auto", "cpu", "cuda")),
        "verbose": Param(bool, True, doc="one progress line per epoch on stderr"),
}


@dataclass
class LoopSettings:
    epochs: int
    learning_rate: float
    weight_decay: float
    warmup_ratio: float
    patience: int  # epochs without a better dev score before stopping; 0 = never stop early
    mixed_precision: str  # "auto", "bf16", "fp16" or "no"
    max_grad_norm: float = 1.0
    verbose: bool = True


def seed_everything(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def pick_device(preference: str):
    import torch

    if preference == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device", "'cuda' was asked for but torch sees no GPU; use 'auto' or 'cpu'")
    if preference == "auto":
        preference = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(preference)


def autocast_dtype(device, mixed_precision: str):
    """The autocast dtype, or None for fp32. Mixed precision is a GPU feature here; CPU runs fp32."""
    import torch

    if device.type != "cuda" or mixed_precision == "no":
        return None
    if mixed_precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if mixed_precision == "bf16" else torch.float16


def _optimizer(module, lr: float, weight_decay: float):
    import torch

    decay, no_decay = [], []
    for name, p in module.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "LayerNorm" in name or name.endswith(".bias") else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr)


def _log(verbose: bool, message: str) -> None:
    if verbose:
        print(message, file=sys.stderr, flush=True)


def train_loop(module, device, settings: LoopSettings, batches: Callable[[int], Iterable[Any]], n_batches: int,
               loss_of: Callable[[Any], Any], dev_score: Callable[[], float] | None = None) -> dict:
    """Train ``module`` in place; returns the history and the epoch whose weights were kept.

    ``batches(epoch)`` yields the epoch's batches (shuffled by the caller with a seeded generator),
    ``loss_of(batch)`` returns a scalar loss tensor, ``dev_score()`` a number to maximise.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    dtype = autocast_dtype(device, settings.mixed_precision)
    scaler = torch.amp.GradScaler("cuda", enabled=dtype is torch.float16)
    optimizer = _optimizer(module, settings.learning_rate, settings.weight_decay)
    total = max(1, settings.epochs * n_batches)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(settings.warmup_ratio * total), total)
    history, best, best_state, stale = [], -math.inf, None, 0
    for epoch in range(settings.epochs):
        start, losses = time.perf_counter(), []
        module.train()
        for batch in batches(epoch):
            with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                loss = loss_of(batch)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(module.parameters(), settings.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            losses.append(float(loss.detach()))
        module.eval()
        row = {"epoch": epoch + 1, "train_loss": round(sum(losses) / max(len(losses), 1), 5)}
        if dev_score is not None:
            row["dev_score"] = round(float(dev_score()), 5)
        row["seconds"] = round(time.perf_counter() - start, 1)
        history.append(row)
        _log(settings.verbose, "  ".join(f"{k}={v}" for k, v in row.items()))
        if dev_score is None:
            continue
        if row["dev_score"] > best:
            best, stale = row["dev_score"], 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
        else:
            stale += 1
            if settings.patience and stale >= settings.patience:
                _log(settings.verbose, f"early stop: no better dev score for {stale} epochs")
                break
    kept = len(history)
    if best_state is not None:
        module.load_state_dict(best_state)
        kept = max(history, key=lambda r: (r["dev_score"], -r["epoch"]))["epoch"]
    module.eval()
    return {"history": history, "kept_epoch": kept, "device": str(device),
            "precision": str(dtype).replace("torch.", "") if dtype is not None else "fp32"}

