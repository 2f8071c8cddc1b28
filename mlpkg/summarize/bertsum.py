"""BertSum-style extractive summariser on IndoBERT (Liu, 2019, "Fine-tune BERT for Extractive Summarization").

Every sentence gets its own ``[CLS] ... [SEP]``; segment ids alternate 0/1 from sentence to
sentence (interval segments); the ``[CLS]`` vectors, plus a learned sentence-position embedding,
go through a small inter-sentence Transformer and a linear layer: one score per sentence, trained
with binary cross-entropy on IndoSum's gold labels. An article longer than one window is packed
into several windows of whole sentences and the inter-sentence layer sees them all together;
sentences past ``max_windows`` windows score below every scored one. Choosing the summary (``k``,
MMR, near-duplicates, document order) is the base class's, as for every summariser.

The saved directory holds the fine-tuned encoder and tokenizer in ``hf/`` and the inter-sentence
layer in ``extractor.safetensors``; no pickle, no remote code. torch is imported only when used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.checkpoint import load_pretrained, load_tokenizer, quiet_transformers
from ..core.directory import model_part
from ..core.estimator import Param
from ..core.finetune import FINETUNE_PARAMS, LoopSettings, autocast_dtype, pick_device, seed_everything, train_loop
from ..errors import DataError, ModelIntegrityError, ParameterError
from .base import SELECTION_PARAMS, Summarizer
from .document import Document
from .rouge import gold_agreement
from .vectorized import Batch

HF_DIR = "hf"
HEAD_FILE = "extractor.safetensors"


@dataclass
class Packed:
    """One article as encoder windows: where each scored sentence's [CLS] sits."""

    windows: list[list[int]]
    segments: list[list[int]]
    cls: list[tuple[int, int]]  # (window, position) per scored sentence, in sentence order
    n_sentences: int


def _scorer(encoder, layers: int, max_sentences: int):
    from torch import nn

    class SentenceScorer(nn.Module):
        def __init__(self):
            super().__init__()
            hidden = encoder.config.hidden_size
            self.encoder = encoder
            self.position = nn.Embedding(max_sentences, hidden)
            layer = nn.TransformerEncoderLayer(hidden, max(1, hidden // 64), 4 * hidden, dropout=0.1,
                                               batch_first=True, norm_first=True)
            self.inter = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False) if layers else None
            self.norm = nn.LayerNorm(hidden)
            self.out = nn.Linear(hidden, 1)

        def forward(self, windows: dict, cls_index, sentence_mask):
            hidden = self.encoder(**windows).last_hidden_state
            flat = hidden.reshape(-1, hidden.shape[-1])
            vectors = flat[cls_index] + self.position.weight[: cls_index.shape[1]]
            if self.inter is not None:
                vectors = self.inter(vectors, src_key_padding_mask=~sentence_mask)
            return self.out(self.norm(vectors)).squeeze(-1)

    return SentenceScorer()


class BertSumSummarizer(Summarizer):
    """Sentence scorer fine-tuned from an IndoBERT checkpoint on gold extractive labels.

    >>> model = BertSumSummarizer(model_name_or_path="models/indobert-base-p1", k=3)  # doctest: +SKIP
    >>> model.fit(train_sentences, train_gold, dev=(dev_sentences, dev_gold))  # doctest: +SKIP
    >>> model.summarize("Koperasi Desa Merah Putih resmi diluncurkan. ...")  # doctest: +SKIP
    """

    registered_name = "indobert_extractor.v1"

    extra = "bert"
    needs_training = True
    uses_dev = True  # early stopping on dev gold-F1
    params = {
        **SELECTION_PARAMS,
        **FINETUNE_PARAMS,
        "max_length": Param(int, 512, low=16, high=4096, doc="tokens per encoder window"),
        "max_sentence_tokens": Param(int, 64, low=4, doc="a longer sentence is cut to this many tokens"),
        "max_windows": Param(int, 2, low=1, high=16, doc="windows per article; later sentences are not scored"),
        "max_sentences": Param(int, 128, low=1, doc="sentences per article scored at most"),
        "inter_layers": Param(int, 2, low=0, high=6, doc="inter-sentence Transformer layers (0: a linear layer)"),
        "epochs": Param(int, 3, low=1),
        "batch_size": Param(int, 8, low=1, doc="articles per training step"),
        "predict_batch_size": Param(int, 16, low=1, doc="articles per forward pass when scoring"),
        "early_stopping_patience": Param(int, 1, low=0, doc="epochs without better dev gold-F1; 0 = off"),
    }

    def __init__(self, *, k: int = 3, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7,
                 model_name_or_path: str = "indobenchmark/indobert-base-p1", learning_rate: float = 3e-05,
                 weight_decay: float = 0.01, warmup_ratio: float = 0.1, seed: int = 0, mixed_precision: str = "auto",
                 device: str = "auto", verbose: bool = True, max_length: int = 512, max_sentence_tokens: int = 64,
                 max_windows: int = 2, max_sentences: int = 128, inter_layers: int = 2, epochs: int = 3,
                 batch_size: int = 8, predict_batch_size: int = 16, early_stopping_patience: int = 1) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold)
        self.model_name_or_path = model_name_or_path
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.seed = seed
        self.mixed_precision = mixed_precision
        self.device = device
        self.verbose = verbose
        self.max_length = max_length
        self.max_sentence_tokens = max_sentence_tokens
        self.max_windows = max_windows
        self.max_sentences = max_sentences
        self.inter_layers = inter_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.predict_batch_size = predict_batch_size
        self.early_stopping_patience = early_stopping_patience

    # --- training -----------------------------------------------------------------------
    def fit(self, documents: Sequence[Sequence[str]] | None = None, gold: Sequence[Sequence[bool]] | None = None,
            *, titles: Sequence[str | None] | None = None, paragraphs: Sequence[Sequence[int]] | None = None,
            dev: tuple[Sequence[Sequence[str]], Sequence[Sequence[bool]]] | None = None) -> "BertSumSummarizer":
        """Fine-tune on sentence lists with one gold flag per sentence; early-stop on dev gold-F1.

        Titles and paragraphs are accepted for the common summariser signature; BertSum reads
        the sentences only.
        """
        import torch
        from transformers import AutoModel

        self._validate()
        if documents is None or gold is None:
            raise DataError("indobert_extractor.v1 is trained: fit needs documents (sentence lists) and gold labels")
        docs = self.documents(documents, titles, paragraphs)
        gold = [np.asarray(g, dtype=np.float32) for g in gold]
        if len(gold) != len(docs):
            raise DataError(f"fit got {len(docs)} articles but {len(gold)} label lists")
        for i, (doc, g) in enumerate(zip(docs, gold)):
            if len(doc) != len(g):
                raise DataError(f"article {i}: {len(doc)} sentences but {len(g)} gold labels")
        seed_everything(self.seed)
        self.device_ = pick_device(self.device)
        self.tokenizer_ = load_tokenizer(self.model_name_or_path)
        encoder = load_pretrained(AutoModel, self.model_name_or_path, add_pooling_layer=False)
        limit = getattr(encoder.config, "max_position_embeddings", None)
        if limit and self.max_length > limit:
            raise ParameterError("max_length", f"{self.model_name_or_path} has {limit} positions; "
                                 f"max_length must be <= {limit}, got {self.max_length}")
        self.module_ = _scorer(encoder, self.inter_layers, self.max_sentences).to(self.device_)
        packed = self._pack(docs)
        keep = [i for i, p in enumerate(packed) if p.cls]
        generator = torch.Generator().manual_seed(self.seed)

        def batches(epoch: int):
            order = [keep[j] for j in torch.randperm(len(keep), generator=generator).tolist()]
            for i in range(0, len(order), self.batch_size):
                yield order[i: i + self.batch_size]

        def loss_of(rows: list[int]):
            logits, mask = self._logits([packed[i] for i in rows])
            target = torch.zeros_like(logits)
            for r, i in enumerate(rows):
                n = len(packed[i].cls)
                target[r, :n] = torch.as_tensor(gold[i][:n], device=self.device_)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), target, reduction="none")
            return (loss * mask).sum() / mask.sum()

        dev_score = None
        if dev is not None and len(dev[0]):
            dev_docs, dev_gold = self.documents(dev[0]), [list(g) for g in dev[1]]
            self.is_fitted_ = True  # choose() is used on dev while training
            dev_score = lambda: gold_agreement(self.choose(dev_docs), dev_gold)["gold_f1"]  # noqa: E731
        settings = LoopSettings(self.epochs, self.learning_rate, self.weight_decay, self.warmup_ratio,
                                self.early_stopping_patience, self.mixed_precision, verbose=self.verbose)
        self.training_ = train_loop(self.module_, self.device_, settings, batches, -(-len(keep) // self.batch_size),
                                    loss_of, dev_score)
        self.is_fitted_ = True
        return self

    # --- sentences to windows -----------------------------------------------------------
    def _pack(self, docs: list[Document]) -> list[Packed]:
        tok = self.tokenizer_
        first = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
        last = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
        two_segments = getattr(self.module_.encoder.config, "type_vocab_size", 1) >= 2
        flat = [s for d in docs for s in d.sentences[: self.max_sentences]]
        ids = tok(flat, add_special_tokens=False, truncation=True, max_length=self.max_sentence_tokens,
                  verbose=False)["input_ids"] if flat else []
        out, at = [], 0
        for doc in docs:
            n = min(len(doc), self.max_sentences)
            windows, segments, cls = [[]], [[]], []
            for s, sentence in enumerate(ids[at: at + n]):
                unit = [first, *sentence[: self.max_length - 2], last]
                if len(windows[-1]) + len(unit) > self.max_length:
                    if len(windows) == self.max_windows:
                        break
                    windows.append([])
                    segments.append([])
                cls.append((len(windows) - 1, len(windows[-1])))
                windows[-1].extend(unit)
                segments[-1].extend([s % 2 if two_segments else 0] * len(unit))
            at += n
            out.append(Packed([w for w in windows if w], [g for g in segments if g], cls, len(doc)))
        return out

    def _logits(self, packed: list[Packed]):
        """Sentence logits (articles x most sentences) and the mask of real sentences."""
        import torch

        windows = [w for p in packed for w in p.windows]
        width = max(len(w) for w in windows)
        ids = torch.full((len(windows), width), self.tokenizer_.pad_token_id or 0, dtype=torch.long)
        segments = torch.zeros_like(ids)
        attention = torch.zeros_like(ids)
        for i, (w, g) in enumerate(zip(windows, (g for p in packed for g in p.segments))):
            ids[i, : len(w)] = torch.as_tensor(w)
            segments[i, : len(w)] = torch.as_tensor(g)
            attention[i, : len(w)] = 1
        most = max(len(p.cls) for p in packed)
        cls_index = torch.zeros((len(packed), most), dtype=torch.long)
        mask = torch.zeros((len(packed), most), dtype=torch.bool)
        offset = 0
        for r, p in enumerate(packed):
            for j, (window, position) in enumerate(p.cls):
                cls_index[r, j] = (offset + window) * width + position
            mask[r, : len(p.cls)] = True
            offset += len(p.windows)
        batch = {"input_ids": ids, "attention_mask": attention}
        if "token_type_ids" in self.tokenizer_.model_input_names:
            batch["token_type_ids"] = segments
        device = self.device_
        logits = self.module_({k: v.to(device) for k, v in batch.items()}, cls_index.to(device), mask.to(device))
        return logits, mask.to(device)

    # --- scoring ------------------------------------------------------------------------
    def score_batch(self, batch: Batch) -> np.ndarray:
        scores = self.score_documents(batch.docs)
        return np.concatenate(scores) if scores else np.zeros(0)

    def score_documents(self, docs: Sequence[Document]) -> list[np.ndarray]:
        """One score (a logit) per sentence of each document."""
        import torch

        self._check_fitted()
        packed = self._pack(list(docs))
        scores = [np.zeros(len(d)) for d in docs]
        todo = [i for i, p in enumerate(packed) if p.cls]
        dtype = autocast_dtype(self.device_, self.mixed_precision)
        self.module_.eval()
        with torch.inference_mode(), torch.autocast(self.device_.type, dtype=dtype or torch.float32,
                                                    enabled=dtype is not None):
            for start in range(0, len(todo), self.predict_batch_size):
                rows = todo[start: start + self.predict_batch_size]
                logits, _ = self._logits([packed[i] for i in rows])
                logits = logits.float().cpu().numpy()
                for r, i in enumerate(rows):
                    n = len(packed[i].cls)
                    scored = logits[r, :n].astype(np.float64)
                    # unscored (late) sentences rank below every scored one, earlier first
                    rest = scored.min() - 1.0 - np.arange(len(docs[i]) - n) * 1e-3
                    scores[i] = np.concatenate([scored, rest])
        return scores

    # --- persistence --------------------------------------------------------------------
    def _write_files(self, folder: Path) -> None:
        target = folder / HF_DIR
        target.mkdir()
        with quiet_transformers():
            self.module_.encoder.save_pretrained(target)
            self.tokenizer_.save_pretrained(target)
        super()._write_files(folder)

    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        from safetensors.torch import save

        head = {k: v.detach().cpu().contiguous() for k, v in self.module_.state_dict().items()
                if not k.startswith("encoder.")}
        meta = {"checkpoint_dir": HF_DIR, "head_file": HEAD_FILE, "training": getattr(self, "training_", None)}
        return meta, {HEAD_FILE: save(head)}

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "BertSumSummarizer":
        from safetensors.torch import load_file
        from transformers import AutoModel

        model = cls(**meta["params"])
        source = str(model_part(directory, meta.get("checkpoint_dir"), "checkpoint_dir"))
        model.device_ = pick_device("cpu" if model.device == "cpu" else "auto")
        model.tokenizer_ = load_tokenizer(source)
        encoder = load_pretrained(AutoModel, source, add_pooling_layer=False)
        model.module_ = _scorer(encoder, model.inter_layers, model.max_sentences)
        head = load_file(model_part(directory, meta.get("head_file"), "head_file"))
        missing, unexpected = model.module_.load_state_dict(head, strict=False)
        if unexpected or [k for k in missing if not k.startswith("encoder.")]:
            raise ModelIntegrityError(f"{directory}: {meta['head_file']} does not fit this model "
                                      f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        model.module_.to(model.device_).eval()
        model.training_ = meta.get("training")
        model.is_fitted_ = True
        return model
