"""A tiny BERT built from our own corpus, saved like a hub checkpoint (tests only, no network).

The WordPiece vocabulary is trained with ``tokenizers`` on article texts from ``data/``; the
model is a 2-layer, 32-wide ``BertConfig`` with random weights. Both are written with
``save_pretrained``, so the code under test loads them through the real ``from_pretrained`` path.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_bert(directory: Path, texts: list[str], vocab_size: int = 2000, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS)
    wordpiece.train_from_iterator(texts, trainer)
    vocab = sorted(wordpiece.get_vocab().items(), key=lambda kv: kv[1])
    (directory / "vocab.txt").write_text("\n".join(token for token, _ in vocab) + "\n", encoding="utf-8")
    # from_pretrained reads vocab.txt the same way in transformers 4 and 5 (the constructors differ)
    tokenizer = BertTokenizerFast.from_pretrained(directory, do_lower_case=True, model_max_length=128)
    tokenizer.save_pretrained(directory)

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=0)
    BertModel(config).save_pretrained(directory)
    return directory
