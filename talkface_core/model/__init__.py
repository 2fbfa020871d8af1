"""The generator network, its features, checkpoints, streaming and losses."""
