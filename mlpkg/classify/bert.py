"""IndoBERT text classifier: a transformers encoder with a classification head, fine-tuned end to end.

One class serves multi-label topic tagging (sigmoid per tag; thresholds tuned on dev by the
trainer, the same code as the TF-IDF tagger) and single-label categories (softmax). News bodies
run past 512 tokens, so ``long_text`` picks what the model reads:

- ``head``: the first ``max_length`` tokens;
- ``head_tail``: the first quarter (``head_fraction``) of the window from the start of the article,
  the rest from its end (Sun et al., 2019: 128 + 382 tokens);
- ``chunk_mean`` / ``chunk_max``: windows of ``max_length`` tokens overlapping by ``stride``
  (at most ``max_chunks``), scored one by one, logits pooled by mean or max — in training too.

The saved directory holds the transformers checkpoint in ``hf/`` (``model.safetensors``, config,
tokenizer) beside ``mlpkg.json``; it loads offline from itself and never runs remote code.
torch and transformers are imported only when a model is fitted or loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..bert.checkpoint import load_pretrained, load_tokenizer, quiet_transformers
from ..bert.finetune import FINETUNE_PARAMS, LoopSettings, autocast_dtype, pick_device, seed_everything, train_loop
from ..core.directory import model_part
from ..core.estimator import Param
from ..core.registry import register
from ..errors import ParameterError
from ..text.clean import clean
from .classifier import LABELS, Classifier, LabelSet

HF_DIR = "hf"
LONG_TEXT = ("head", "head_tail", "chunk_mean", "chunk_max")
_CHARS_PER_TOKEN_CAP = 24  # generous: Indonesian WordPiece averages ~5 characters a token


@register("indobert_classifier.v1")
class BertClassifier(Classifier):
    """Fine-tuned IndoBERT (or any BERT-like checkpoint folder).

    >>> clf = BertClassifier(model_name_or_path="models/indobert-base-p1", epochs=3)  # doctest: +SKIP
    >>> clf.fit(train_texts, train_tags, dev=(dev_texts, dev_tags))                    # doctest: +SKIP
    >>> clf.predict_tags(["Koperasi Desa Merah Putih resmi diluncurkan"])                    # doctest: +SKIP
    [['koperasi']]
    """

    extra = "bert"
    uses_dev = True  # early stopping on dev macro-F1 (the best epoch's weights are kept)
    params = {
        "labels": LABELS,
        **FINETUNE_PARAMS,
        "max_length": Param(int, 512, low=16, high=4096, doc="tokens per window, special tokens included"),
        "long_text": Param(str, "head_tail", choices=LONG_TEXT, doc="what the model reads of a long article"),
        "head_fraction": Param(float, 0.25, low=0.0, high=1.0,
                               doc="head_tail: share of the window taken from the start; the rest from the end"),
        "stride": Param(int, 64, low=0, doc="chunk_*: tokens shared by neighbouring windows"),
        "max_chunks": Param(int, 4, low=1, high=64, doc="chunk_*: windows per article at most (the first ones)"),
        "epochs": Param(int, 4, low=1),
        "batch_size": Param(int, 16, low=1, doc="articles per training step"),
        "predict_batch_size": Param(int, 32, low=1, doc="windows per forward pass when scoring"),
        "class_weight": Param(str, "balanced", choices=("balanced", "none"),
                              doc="balanced: rare tags/classes weigh as much as common ones in the loss"),
        "early_stopping_patience": Param(int, 2, low=0, doc="epochs without better dev macro-F1; 0 = off"),
    }

    def __init__(self, *, labels: LabelSet = None, model_name_or_path: str = "indobenchmark/indobert-base-p1",
                 learning_rate: float = 3e-05, weight_decay: float = 0.01, warmup_ratio: float = 0.1, seed: int = 0,
                 mixed_precision: str = "auto", device: str = "auto", verbose: bool = True, max_length: int = 512,
                 long_text: str = "head_tail",
                 head_fraction: float = 0.25, stride: int = 64, max_chunks: int = 4, epochs: int = 4,
                 batch_size: int = 16, predict_batch_size: int = 32, class_weight: str = "balanced",
                 early_stopping_patience: int = 2) -> None:
        self.labels = labels
        self.model_name_or_path = model_name_or_path
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.seed = seed
        self.mixed_precision = mixed_precision
        self.device = device
        self.verbose = verbose
        self.max_length = max_length
        self.long_text = long_text
        self.head_fraction = head_fraction
        self.stride = stride
        self.max_chunks = max_chunks
        self.epochs = epochs
        self.batch_size = batch_size
        self.predict_batch_size = predict_batch_size
        self.class_weight = class_weight
        self.early_stopping_patience = early_stopping_patience

    def _validate(self) -> None:
        super()._validate()
        window = self.max_length - 2
        if self.long_text.startswith("chunk") and self.stride >= window:
            raise ParameterError("stride", f"must be smaller than max_length - 2 = {window}, got {self.stride}")

    # --- training -----------------------------------------------------------------------
    def _fit_texts(self, texts: list[str], Y: np.ndarray, groups: np.ndarray | None = None,
                   dev: tuple[list[str], np.ndarray] | None = None, known: np.ndarray | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        seed_everything(self.seed)
        self.device_ = pick_device(self.device)
        self.tokenizer_ = load_tokenizer(self.model_name_or_path)
        self.model_ = load_pretrained(
            AutoModelForSequenceClassification, self.model_name_or_path, num_labels=len(self.classes_),
            problem_type="multi_label_classification" if self.multi_label_ else "single_label_classification",
            id2label=dict(enumerate(self.classes_)), label2id={k: i for i, k in enumerate(self.classes_)},
            ignore_mismatched_sizes=True,
        ).to(self.device_)
        self._check_positions()
        docs = self._encode(texts)
        target = torch.as_tensor(Y, dtype=torch.float32) if self.multi_label_ else torch.as_tensor(Y.argmax(axis=1))
        known = np.ones(Y.shape, dtype=bool) if known is None else known
        mask = torch.as_tensor(known, dtype=torch.float32)
        loss_fn = self._loss(Y, known)
        generator = torch.Generator().manual_seed(self.seed)

        def batches(epoch: int):
            order = torch.randperm(len(docs), generator=generator).tolist()
            for i in range(0, len(order), self.batch_size):
                yield order[i: i + self.batch_size]

        def loss_of(rows: list[int]):
            logits = self._doc_logits_torch([docs[i] for i in rows])
            if self.multi_label_:  # a tag undecided for an article adds nothing to the loss
                return loss_fn(logits.float(), target[rows].to(self.device_), mask[rows].to(self.device_))
            return loss_fn(logits.float(), target[rows].to(self.device_))

        dev_score = None
        if dev is not None:
            dev_docs, dev_Y = self._encode(dev[0]), dev[1]
            dev_score = lambda: self._macro_f1(dev_Y, self._activate(self._doc_logits(dev_docs)))  # noqa: E731
        settings = LoopSettings(self.epochs, self.learning_rate, self.weight_decay, self.warmup_ratio,
                                self.early_stopping_patience, self.mixed_precision, verbose=self.verbose)
        n_batches = -(-len(docs) // self.batch_size)
        self.training_ = train_loop(self.model_, self.device_, settings, batches, n_batches, loss_of, dev_score)

    def _loss(self, Y: np.ndarray, known: np.ndarray):
        import torch

        n = len(Y)
        if self.multi_label_:
            n = known.sum(axis=0).astype(np.float64)  # per tag, the rows where it is decided
            pos = (Y * known).sum(axis=0).astype(np.float64)
            w_pos = n / (2 * np.maximum(pos, 1)) if self.class_weight == "balanced" else np.ones(len(pos))
            w_neg = n / (2 * np.maximum(n - pos, 1)) if self.class_weight == "balanced" else np.ones(len(pos))
            w_pos, w_neg = (torch.as_tensor(w, dtype=torch.float32, device=self.device_) for w in (w_pos, w_neg))
            bce = torch.nn.BCEWithLogitsLoss(reduction="none")
            return lambda logits, t, m: (bce(logits, t) * (t * w_pos + (1 - t) * w_neg) * m).mean()
        weight = None
        if self.class_weight == "balanced":
            counts = Y.sum(axis=0).astype(np.float64)
            w = np.where(counts > 0, n / (len(counts) * np.maximum(counts, 1)), 1.0)
            weight = torch.as_tensor(w, dtype=torch.float32, device=self.device_)
        return torch.nn.CrossEntropyLoss(weight=weight)

    def _macro_f1(self, Y: np.ndarray, proba: np.ndarray) -> float:
        from ..evaluate.metrics import multilabel_metrics, singlelabel_metrics
        from .thresholds import best_threshold

        if self.multi_label_:
            cut = np.array([best_threshold(Y[:, j], proba[:, j]) for j in range(Y.shape[1])])
            return multilabel_metrics(Y, (proba >= cut).astype(int), self.classes_)["macro"]["f1"]
        true = [self.classes_[j] for j in Y.argmax(axis=1)]
        pred = [self.classes_[j] for j in proba.argmax(axis=1)]
        return singlelabel_metrics(true, pred, self.classes_)["macro"]["f1"]

    def _check_positions(self) -> None:
        limit = getattr(self.model_.config, "max_position_embeddings", None)
        if limit and self.max_length > limit:
            raise ParameterError("max_length", f"{self.model_name_or_path} has {limit} positions; "
                                 f"max_length must be <= {limit}, got {self.max_length}")

    # --- text to windows ----------------------------------------------------------------
    def _encode(self, texts: list[str]) -> list[list[list[int]]]:
        """Each text as its windows of token ids, special tokens included."""
        window = self.max_length - 2
        reads = {"head": 1, "head_tail": None}.get(self.long_text, self.max_chunks)
        cap = reads * window * _CHARS_PER_TOKEN_CAP if reads else 400_000
        cleaned = [clean(t)[:cap] for t in texts]
        ids = self.tokenizer_(cleaned, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        tok = self.tokenizer_
        first = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
        last = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
        return [[[first, *w, last] for w in self._windows(x, window)] for x in ids]

    def _windows(self, ids: list[int], window: int) -> list[list[int]]:
        if self.long_text == "head" or len(ids) <= window:
            return [ids[:window]]
        if self.long_text == "head_tail":
            head = round(window * self.head_fraction)
            return [ids[:head] + ids[len(ids) - (window - head):]]
        step = window - self.stride
        starts = range(0, max(len(ids) - self.stride, 1), step)
        return [ids[s: s + window] for s in starts][: self.max_chunks]

    def _pad(self, windows: list[list[int]]) -> dict[str, np.ndarray]:
        width = max(len(w) for w in windows)
        pad = self.tokenizer_.pad_token_id or 0
        ids = np.full((len(windows), width), pad, dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for i, w in enumerate(windows):
            ids[i, : len(w)], mask[i, : len(w)] = w, 1
        batch = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.tokenizer_.model_input_names:
            batch["token_type_ids"] = np.zeros_like(ids)
        return batch

    # --- scoring ------------------------------------------------------------------------
    def _doc_logits_torch(self, docs: list[list[list[int]]]):
        """Pooled logits with gradients (training): all windows of the batch in one forward pass."""
        import torch

        batch = {k: torch.as_tensor(v, device=self.device_) for k, v in self._pad([w for d in docs for w in d]).items()}
        logits = self.model_(**batch).logits
        if all(len(d) == 1 for d in docs):
            return logits
        parts = torch.split(logits, [len(d) for d in docs])
        pool = (lambda x: x.max(dim=0).values) if self.long_text == "chunk_max" else (lambda x: x.mean(dim=0))
        return torch.stack([pool(p) for p in parts])

    def _window_logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        session = getattr(self, "onnx_session_", None)
        if session is not None:
            wanted = {i.name for i in session.get_inputs()}
            return session.run(["logits"], {k: v for k, v in batch.items() if k in wanted})[0]
        dtype = autocast_dtype(self.device_, self.mixed_precision)
        with torch.inference_mode(), torch.autocast(self.device_.type, dtype=dtype or torch.float32,
                                                    enabled=dtype is not None):
            tensors = {k: torch.as_tensor(v, device=self.device_) for k, v in batch.items()}
            return self.model_(**tensors).logits.float().cpu().numpy()

    def _doc_logits(self, docs: list[list[list[int]]]) -> np.ndarray:
        """Pooled logits per document, no gradients; windows sorted by length to pad little."""
        windows = [w for d in docs for w in d]
        owner = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
        order = np.argsort([len(w) for w in windows], kind="stable")
        out = np.zeros((len(windows), len(self.classes_)), dtype=np.float32)
        for i in range(0, len(order), self.predict_batch_size):
            rows = order[i: i + self.predict_batch_size]
            out[rows] = self._window_logits(self._pad([windows[r] for r in rows]))
        if len(windows) == len(docs):
            return out
        pooled = np.full((len(docs), out.shape[1]), -np.inf if self.long_text == "chunk_max" else 0.0)
        if self.long_text == "chunk_max":
            np.maximum.at(pooled, owner, out)
        else:
            np.add.at(pooled, owner, out)
            pooled /= np.bincount(owner, minlength=len(docs))[:, None]
        return pooled.astype(np.float32)

    def _activate(self, logits: np.ndarray) -> np.ndarray:
        from ..core.numeric import sigmoid, softmax

        return sigmoid(logits) if self.multi_label_ else softmax(logits)

    def _proba(self, texts: list[str]) -> np.ndarray:
        return self._activate(self._doc_logits(self._encode(texts)))

    def decision_function(self, texts: list[str]) -> np.ndarray:
        """Pooled logits, shape (n_texts, n_labels)."""
        self._check_fitted()
        return self._doc_logits(self._encode(list(texts)))

    def use_onnx(self, path: str | Path | None = None) -> "BertClassifier":
        """Score with onnxruntime on CPU from ``path`` (default: ``model.onnx`` in the model directory)."""
        import onnxruntime as ort

        self._check_fitted()
        path = Path(path) if path else Path(self.directory_) / "model.onnx"
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.onnx_session_ = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return self

    # --- persistence --------------------------------------------------------------------
    def _write_files(self, folder: Path) -> None:
        target = folder / HF_DIR
        target.mkdir()
        with quiet_transformers():
            self.model_.save_pretrained(target)
            self.tokenizer_.save_pretrained(target)
        super()._write_files(folder)

    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = {**self._classifier_meta(), "checkpoint_dir": HF_DIR, "training": getattr(self, "training_", None)}
        return meta, {}

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "BertClassifier":
        from transformers import AutoModelForSequenceClassification

        model = cls(**meta["params"])
        model._restore_classifier_meta(meta)
        source = str(model_part(directory, meta.get("checkpoint_dir"), "checkpoint_dir"))
        model.device_ = pick_device("cpu" if model.device == "cpu" else "auto")  # a GPU-trained model serves on CPU too
        model.tokenizer_ = load_tokenizer(source)
        model.model_ = load_pretrained(AutoModelForSequenceClassification, source).to(model.device_).eval()
        model.training_ = meta.get("training")
        model.directory_ = str(directory)
        return model
