"""FLAME output: the user's model file (read safely), the ARKit -> FLAME mapping computed from it,
and the rotations both need. Imported only when FLAME output is asked for."""
