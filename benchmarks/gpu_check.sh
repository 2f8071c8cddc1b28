#!/usr/bin/env bash
# GPU check for the IndoBERT path: fine-tune a base-size BERT (random weights, random tokens: no hub,
# no data) for a fixed number of steps with bf16 autocast, the way mlpkg.bert.finetune does, and
# report steps/s and peak GPU memory. Installs nothing; needs python with torch and transformers.
#
#   bash benchmarks/gpu_check.sh                 # defaults below
#   STEPS=100 BATCH=32 SEQ=512 bash benchmarks/gpu_check.sh
#
# Writes one JSON line to stdout and, when $OUT is set, to $OUT/gpu_check.json.
# The package itself never needs a GPU; this only sizes GPU training runs.
set -euo pipefail

PYTHON="${PYTHON:-python}"
export STEPS="${STEPS:-60}" WARMUP="${WARMUP:-10}" BATCH="${BATCH:-16}" SEQ="${SEQ:-512}" LABELS="${LABELS:-3}"
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

"$PYTHON" - <<'PY'
import json
import os
import sys
import time

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification, get_linear_schedule_with_warmup

if not torch.cuda.is_available():
    sys.exit("gpu_check: torch sees no GPU (torch.cuda.is_available() is False); nothing to measure")

steps, warmup = int(os.environ["STEPS"]), int(os.environ["WARMUP"])
batch, seq, labels = int(os.environ["BATCH"]), int(os.environ["SEQ"]), int(os.environ["LABELS"])
device = torch.device("cuda")
dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
torch.manual_seed(0)

# bert-base-uncased / indobert-base-p1 sizes: 12 layers, 768 hidden, 12 heads, 3072 feed-forward
config = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=512, num_labels=labels,
                    problem_type="multi_label_classification")
model = BertForSequenceClassification(config).to(device).train()
params = sum(p.numel() for p in model.parameters())
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
scheduler = get_linear_schedule_with_warmup(optimizer, int(0.1 * (steps + warmup)), steps + warmup)
scaler = torch.amp.GradScaler("cuda", enabled=dtype is torch.float16)
loss_fn = torch.nn.BCEWithLogitsLoss()


def step() -> float:
    ids = torch.randint(1000, config.vocab_size, (batch, seq), device=device)
    mask = torch.ones_like(ids)
    target = torch.randint(0, 2, (batch, labels), device=device).float()
    with torch.autocast("cuda", dtype=dtype):
        logits = model(input_ids=ids, attention_mask=mask).logits
    loss = loss_fn(logits.float(), target)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return float(loss.detach())


for _ in range(warmup):
    step()
torch.cuda.synchronize()
torch.cuda.reset_peak_memory_stats()
start = time.perf_counter()
losses = [step() for _ in range(steps)]
torch.cuda.synchronize()
seconds = time.perf_counter() - start

result = {
    "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "transformers": transformers.__version__,
    "model": "BERT-base (random weights)", "parameters": params, "dtype": str(dtype).replace("torch.", ""),
    "batch": batch, "seq": seq, "steps": steps, "warmup_steps": warmup, "seconds": round(seconds, 2),
    "steps_per_s": round(steps / seconds, 2), "sequences_per_s": round(steps * batch / seconds, 1),
    "tokens_per_s": round(steps * batch * seq / seconds),
    "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
    "loss_first_last": [round(losses[0], 4), round(losses[-1], 4)],
}
line = json.dumps(result)
print(line)
if os.environ.get("OUT"):
    with open(os.path.join(os.environ["OUT"], "gpu_check.json"), "w") as fh:
        fh.write(line + "\n")
PY
