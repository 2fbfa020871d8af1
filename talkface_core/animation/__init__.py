"""Animation: named channels sampled at a frame rate (curves.py), what those channels are
(channels.py), and its files: talkface JSON / NPZ (files.py) and Live Link Face CSV (live_link.py)."""
from .channels import ARKIT52, CHANNEL_SETS, FLAME, ROTATION_NAMES, VALUES, ChannelSet
from .curves import MAX_FPS, Animation, AnimationError

__all__ = ["ARKIT52", "CHANNEL_SETS", "FLAME", "MAX_FPS", "ROTATION_NAMES", "VALUES", "Animation",
           "AnimationError", "ChannelSet"]
