"""What the fine-tuned transformer models share (the IndoBERT classifier and the BertSum summariser):
finding and loading a checkpoint, and the fine-tuning loop. torch and transformers load on use."""
