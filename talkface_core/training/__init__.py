"""Corpus to checkpoint: examples and the held-out split (dataset, examples), batches (batcher,
spec_augment), losses, the loop, evaluation against baselines, and the real-video comparison.
Needs PyTorch (`pip install talkface[train]`); nothing that generates imports it."""
