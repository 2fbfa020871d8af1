"""What ships and runs at generation: log-mel features, speech encoders, the network (numpy
runtime and PyTorch), checkpoints and windowed streaming. Nothing here imports training/."""
