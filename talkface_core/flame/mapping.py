"""ARKit-52 -> FLAME: a 52 x (E + 3) matrix computed on the user's machine from their own model.

Each ARKit expression is first written as a displacement field on FLAME's mean head. The fields are
placed by FLAME's own landmark embedding (iBUG 68, or the 51 without the jaw contour): eyelids,
brows, nose, lip corners and lip centres are smooth Wendland bumps around those landmarks, the
lips are told apart by the jaw skinning weights (lower lip follows the jaw, upper lip does not),
the eyelids by which side of the eye centre they lie on, and the eyeballs never move. jawOpen is
the real (finite) rotation of the jaw-skinned vertices about FLAME's jaw joint.

Each field D is then fitted by FLAME's expression basis plus a jaw pose: D ~ E c + jaw(theta), where
jaw(theta) is FLAME's own jaw motion (the jaw's pose correctives, then skinning about the jaw joint
regressed by J_regressor). The jaw is a rotation, so the least-squares fit is Gauss-Newton on the
linearised rotation; its first step is the plain linear projection. (The rotation of the expression
offsets themselves, second order in c * theta, is left out of the fit.) The relative residual
|D - fit| / |D| says how much of an ARKit shape FLAME's expression space cannot express (eyeLook*
are eyeball turns that FLAME keeps in its eye joints, and FLAME has no tongue: those keep only
their eyelid or lip part).

The result is cached next to the model file, keyed by the hash of the model and landmark files and
MAPPING_VERSION. `talkface flame-mapping MODEL` prints the residual table.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..animation import FLAME, Animation, AnimationError
from ..blendshapes import ARKIT_INDEX, ARKIT_NAMES
from .model import JAW, LEFT_EYE, RIGHT_EYE, FlameError, FlameModel, load_flame
from .rotations import axis_angle, rotation_matrices, skew

MAPPING_VERSION = 1  # bump when the shape definitions or the solve change: invalidates caches
JAW_OPEN_RADIANS = 0.45  # ARKit jawOpen = 1: about 26 degrees of jaw rotation
JAW_CHANNELS = ("JawRotX", "JawRotY", "JawRotZ")  # jaw axis-angle, radians, FLAME's model frame
_RIDGE = 1e-8  # relative Tikhonov term: keeps the solve defined if the basis is rank deficient


def expression_channels(count: int) -> tuple[str, ...]:
    """FLAME expression channel names, as the FLAME Blender add-on names its shape keys."""
    return tuple(f"Exp{i:03d}" for i in range(count))


def flame_channels(count: int) -> tuple[str, ...]:
    return expression_channels(count) + JAW_CHANNELS


# -- the face, as the deformations see it ----------------------------------------------------

@dataclass(frozen=True)
class Face:
    """The mean head with the directions, scale and masks the ARKit fields are built from."""

    verts: np.ndarray       # (V, 3)
    left: np.ndarray        # unit vector towards the subject's left
    up: np.ndarray
    forward: np.ndarray     # out of the face
    scale: float            # distance between the eye centres
    jaw: np.ndarray         # (V,) jaw skinning weight: the lower lip and chin
    skin: np.ndarray        # (V,) 0 on the eyeballs, 1 elsewhere
    jaw_joint: np.ndarray   # (3,)
    lm: np.ndarray          # (68, 3) iBUG landmarks (NaN for a missing jaw contour)

    def point(self, *ibug: int) -> np.ndarray:
        return self.lm[list(ibug)].mean(axis=0)

    def bump(self, center: np.ndarray, radius: float) -> np.ndarray:
        """Wendland C2 falloff: 1 at the centre, smoothly 0 at `radius` (a multiple of scale)."""
        r = np.linalg.norm(self.verts - center, axis=1) / (radius * self.scale)
        return np.where(r < 1.0, (1 - r) ** 4 * (4 * r + 1), 0.0)

    def above(self, point: np.ndarray, softness: float) -> np.ndarray:
        """Smoothly 1 above `point` (along up) and 0 below."""
        return _sigmoid((self.verts - point) @ self.up / (softness * self.scale))

    def toward(self, direction: np.ndarray, point: np.ndarray, softness: float) -> np.ndarray:
        return _sigmoid((self.verts - point) @ direction / (softness * self.scale))

    def move(self, weight: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """(V, 3) field: `vector` (in units of scale) times a per-vertex weight, eyeballs still."""
        return (weight * self.skin)[:, None] * (np.asarray(vector) * self.scale)[None, :]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(x))


def face_of(model: FlameModel) -> Face:
    lm = model.landmarks()
    eye_l, eye_r = lm[42:48].mean(axis=0), lm[36:42].mean(axis=0)
    left = eye_l - eye_r
    scale = float(np.linalg.norm(left))
    left /= scale
    up = (eye_l + eye_r) / 2 - lm[[62, 66]].mean(axis=0)
    up -= left * (up @ left)
    up /= np.linalg.norm(up)
    return Face(verts=model.v_template, left=left, up=up, forward=np.cross(left, up), scale=scale,
                jaw=model.weights[:, JAW],
                skin=np.clip(1.0 - model.weights[:, LEFT_EYE] - model.weights[:, RIGHT_EYE], 0, 1),
                jaw_joint=model.joints()[JAW], lm=lm)


def _jaw_open(f: Face) -> np.ndarray:
    rel = f.verts - f.jaw_joint
    turned = rel @ rotation_matrices(f.left * JAW_OPEN_RADIANS).T
    return f.jaw[:, None] * (turned - rel)


# -- the 52 ARKit shapes on FLAME's topology --------------------------------------------------

# iBUG landmark numbers per side (the subject's left and right).
_SIDES = {
    "Left": dict(eye=range(42, 48), upper_lid=(43, 44), lower_lid=(46, 47), brow_inner=22,
                 brow_mid=24, brow_outer=26, corner=54, upper_lip=52, lower_lip=56, nostril=35,
                 sign=1.0),
    "Right": dict(eye=range(36, 42), upper_lid=(37, 38), lower_lid=(40, 41), brow_inner=21,
                  brow_mid=19, brow_outer=17, corner=48, upper_lip=50, lower_lip=58, nostril=31,
                  sign=-1.0),
}


def _sided(f: Face, side: str) -> dict[str, np.ndarray]:
    """The shapes that exist once per side, for one side."""
    s = _SIDES[side]
    out_dir = f.left * s["sign"]                      # lateral, away from the nose
    eye = f.point(*s["eye"])
    upper_lid, lower_lid = f.point(*s["upper_lid"]), f.point(*s["lower_lid"])
    opening = float((upper_lid - lower_lid) @ f.up) / f.scale
    upper = f.bump(upper_lid, 0.4) * f.above(eye, 0.03)
    lower = f.bump(lower_lid, 0.4) * (1 - f.above(eye, 0.03))
    lids = f.bump(eye, 0.45)
    corner = f.point(s["corner"])
    cheek = eye + (corner - eye) * 0.55 + out_dir * 0.25 * f.scale
    mouth_half = (f.point(62, 66) + corner) / 2
    half = f.toward(out_dir, f.point(62, 66), 0.08)   # this side of the mouth
    lip_up = f.bump(f.point(s["upper_lip"]), 0.45) * (1 - f.jaw) * half
    lip_low = f.bump(f.point(s["lower_lip"]), 0.45) * f.jaw * half
    corner_w = f.bump(corner, 0.4)
    brow_outer = f.bump(f.point(s["brow_outer"]), 0.35)
    brow_inner = f.bump(f.point(s["brow_inner"]), 0.35)
    brow = f.bump(f.point(s["brow_mid"]), 0.45)
    u, fw = f.up, f.forward
    return {
        "eyeBlink": f.move(upper, -u * opening) + f.move(lower, u * 0.1 * opening),
        "eyeLookDown": f.move(upper, -u * 0.3 * opening) + f.move(lower, -u * 0.15 * opening),
        "eyeLookIn": f.move(lids, -out_dir * 0.04),
        "eyeLookOut": f.move(lids, out_dir * 0.04),
        "eyeLookUp": f.move(upper, u * 0.2 * opening) + f.move(brow, u * 0.02),
        "eyeSquint": f.move(lower, u * 0.35 * opening) + f.move(f.bump(cheek, 0.3), u * 0.04),
        "eyeWide": f.move(upper, u * 0.35 * opening),
        "mouthSmile": f.move(corner_w, u * 0.08 + out_dir * 0.08 - fw * 0.03)
                      + f.move(f.bump(cheek, 0.35), u * 0.03),
        "mouthFrown": f.move(corner_w, -u * 0.08),
        "mouthDimple": f.move(corner_w, -fw * 0.05 + out_dir * 0.03),
        "mouthStretch": f.move(corner_w, out_dir * 0.08 - u * 0.04),
        "mouthPress": f.move(f.bump(mouth_half, 0.3) * (1 - f.jaw), -u * 0.02 - fw * 0.01)
                      + f.move(f.bump(mouth_half, 0.3) * f.jaw, u * 0.02 - fw * 0.01),
        "mouthLowerDown": f.move(lip_low, -u * 0.08),
        "mouthUpperUp": f.move(lip_up, u * 0.08),
        "browDown": f.move(brow + brow_inner, -u * 0.06 - out_dir * 0.02),
        "browOuterUp": f.move(brow_outer, u * 0.1),
        "cheekSquint": f.move(f.bump(cheek, 0.35), u * 0.06),
        "noseSneer": f.move(f.bump(f.point(s["nostril"]), 0.3), u * 0.06)
                     + f.move(brow_inner, -u * 0.02),
    }


def _central(f: Face) -> dict[str, np.ndarray]:
    """The shapes without a side."""
    u, fw, lt = f.up, f.forward, f.left
    mouth = f.point(62, 66)
    upper_lip = f.bump(f.point(51), 0.5) * (1 - f.jaw)
    lower_lip = f.bump(f.point(57), 0.5) * f.jaw
    lips = f.bump(mouth, 0.6)
    corners = f.bump(f.point(48), 0.35), f.bump(f.point(54), 0.35)
    inward = f.move(corners[0], lt * 0.1) + f.move(corners[1], -lt * 0.1)
    jaw_open = _jaw_open(f)
    gap = float(np.linalg.norm(jaw_open[np.argmin(np.linalg.norm(f.verts - f.point(66), axis=1))]))
    gap /= f.scale
    cheeks = [f.point(s["corner"]) + lt * s["sign"] * 0.3 * f.scale + u * 0.15 * f.scale
              for s in _SIDES.values()]
    return {
        "jawOpen": jaw_open,
        "jawForward": f.move(f.jaw, fw * 0.12),
        "jawLeft": f.move(f.jaw, lt * 0.12),
        "jawRight": f.move(f.jaw, -lt * 0.12),
        "mouthClose": f.move(upper_lip, -u * gap / 2) + f.move(lower_lip, u * gap / 2),
        "mouthFunnel": f.move(upper_lip, fw * 0.08 + u * 0.03)
                       + f.move(lower_lip, fw * 0.08 - u * 0.03) + 0.5 * inward,
        "mouthPucker": f.move(lips, fw * 0.1) + inward,
        "mouthLeft": f.move(lips, lt * 0.1),
        "mouthRight": f.move(lips, -lt * 0.1),
        "mouthRollLower": f.move(lower_lip, -fw * 0.06 + u * 0.03),
        "mouthRollUpper": f.move(upper_lip, -fw * 0.06 - u * 0.03),
        "mouthShrugLower": f.move(f.bump(f.point(57), 0.6) * f.jaw, u * 0.06 + fw * 0.03),
        "mouthShrugUpper": f.move(upper_lip, u * 0.05),
        "browInnerUp": f.move(f.bump(f.point(21), 0.35) + f.bump(f.point(22), 0.35), u * 0.1),
        "cheekPuff": sum(f.move(f.bump(c, 0.45), lt * s["sign"] * 0.1 + fw * 0.05)
                         for c, s in zip(cheeks, _SIDES.values())),
        "tongueOut": 0.25 * jaw_open + f.move(lower_lip, fw * 0.04 - u * 0.02),
    }


def arkit_fields(model: FlameModel) -> np.ndarray:
    """(52, V, 3): each ARKit shape at weight 1 as a displacement of FLAME's mean head."""
    f = face_of(model)
    fields = _central(f)
    for side in _SIDES:
        fields.update({name + side: field for name, field in _sided(f, side).items()})
    missing = set(ARKIT_NAMES) - set(fields)
    assert not missing, missing
    return np.stack([fields[n] for n in ARKIT_NAMES])


def jaw_motion(model: FlameModel, theta: np.ndarray) -> np.ndarray:
    """(V, 3) vertex motion of FLAME's jaw pose `theta` (axis-angle, radians), other joints at
    rest: the jaw's pose correctives, then linear blend skinning about the jaw joint."""
    rot = rotation_matrices(theta)
    block = model.posedirs[:, :, 9 * (JAW - 1): 9 * JAW]
    rel = model.v_template + block @ (rot - np.eye(3)).ravel() - model.joints()[JAW]
    return model.weights[:, JAW, None] * (rel @ rot.T - rel) + block @ (rot - np.eye(3)).ravel()


def jaw_jacobian(model: FlameModel, theta: np.ndarray) -> np.ndarray:
    """(V, 3, 3): d jaw_motion / d theta for a small extra rotation applied after `theta` (the
    correctives' part linearised at rest; they are small)."""
    turned = (model.v_template - model.joints()[JAW]) @ rotation_matrices(theta).T
    block = model.posedirs[:, :, 9 * (JAW - 1): 9 * JAW]
    return np.stack([model.weights[:, JAW, None] * np.cross(axis, turned)
                     + block @ skew(axis).ravel() for axis in np.eye(3)], axis=2)


# -- the projection and its cache -------------------------------------------------------------

@dataclass(frozen=True)
class FlameMapping:
    """ARKit weights (T, 52) @ matrix -> FLAME expression coefficients and jaw rotation (T, E+3)."""

    matrix: np.ndarray       # (52, E + 3)
    residuals: np.ndarray    # (52,) relative projection residual per ARKit shape
    model_sha256: str

    @property
    def channels(self) -> tuple[str, ...]:
        return flame_channels(self.matrix.shape[1] - len(JAW_CHANNELS))

    def apply(self, anim: Animation) -> Animation:
        """The FLAME animation of an ARKit animation (any channel order; missing shapes = 0)."""
        unknown = [n for n in anim.names if n not in ARKIT_INDEX]
        if unknown:
            raise AnimationError(f"not ARKit channels: {', '.join(unknown[:5])}")
        rows = self.matrix[[ARKIT_INDEX[n] for n in anim.names]]
        coeffs = anim.weights.astype(np.float64) @ rows
        return Animation(self.channels, anim.fps, coeffs.astype(np.float32), channels=FLAME,
                         rotation_names=anim.rotation_names, rotations=anim.rotations)

    def table(self) -> str:
        """Per-shape residuals and jaw angles, worst first."""
        lines = [f"{'ARKit shape':<20} {'residual':>8} {'|exp|':>7} {'jaw x/y/z (deg)':>22}"]
        for i in np.argsort(-self.residuals):
            jaw = np.degrees(self.matrix[i, -3:])
            lines.append(f"{ARKIT_NAMES[i]:<20} {self.residuals[i]:>8.3f} "
                         f"{np.linalg.norm(self.matrix[i, :-3]):>7.2f} "
                         f"{jaw[0]:>7.1f}{jaw[1]:>7.1f}{jaw[2]:>7.1f}")
        lines.append(f"{'median':<20} {np.median(self.residuals):>8.3f}")
        return "\n".join(lines)


def compute_mapping(model: FlameModel, iterations: int = 4) -> FlameMapping:
    """Fit expression coefficients c and jaw pose theta to each ARKit field D, minimising
    |D - (E c + jaw_motion(theta))|: Gauss-Newton, as the jaw rotation is not linear (the first
    step, from theta = 0, is the plain linear projection)."""
    V, E = model.num_vertices, model.num_expressions
    exp = model.exprdirs.reshape(V * 3, E)
    exp_gram = exp.T @ exp
    targets = arkit_fields(model).reshape(len(ARKIT_NAMES), V * 3)
    matrix = np.zeros((len(ARKIT_NAMES), E + 3))
    residuals = np.zeros(len(ARKIT_NAMES))
    for k, target in enumerate(targets):
        coeffs, theta = np.zeros(E), np.zeros(3)
        for _ in range(iterations):
            rest = target - exp @ coeffs - jaw_motion(model, theta).ravel()
            jac = jaw_jacobian(model, theta).reshape(V * 3, 3)
            gram = np.block([[exp_gram, exp.T @ jac], [jac.T @ exp, jac.T @ jac]])
            gram[np.diag_indices_from(gram)] += _RIDGE * np.trace(gram) / len(gram)
            step = np.linalg.solve(gram, np.concatenate([exp.T @ rest, jac.T @ rest]))
            coeffs += step[:E]
            # The Jacobian is of a rotation applied after theta: compose, do not add.
            theta = axis_angle(rotation_matrices(step[E:]) @ rotation_matrices(theta))
        fitted = exp @ coeffs + jaw_motion(model, theta).ravel()
        matrix[k] = np.concatenate([coeffs, theta])
        residuals[k] = np.linalg.norm(target - fitted) / np.linalg.norm(target)
    return FlameMapping(matrix=matrix, residuals=residuals, model_sha256=model.sha256)


def cache_path(model: FlameModel) -> Path:
    key = hashlib.sha256(f"{model.sha256}:{MAPPING_VERSION}".encode()).hexdigest()[:16]
    return model.path.with_name(f"{model.path.stem}.talkface-arkit52.{key}.npz")


def _user_cache(path: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "talkface" / "flame" / path.name


def _read_cache(path: Path, model: FlameModel) -> FlameMapping | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            mapping = FlameMapping(matrix=data["matrix"], residuals=data["residuals"],
                                   model_sha256=str(data["model_sha256"]))
    except (OSError, ValueError, KeyError):
        return None
    ok = (mapping.model_sha256 == model.sha256
          and mapping.matrix.shape == (len(ARKIT_NAMES), model.num_expressions + 3))
    return mapping if ok else None


# Mappings already read this session, by model file identity: the add-on maps clip after clip
# with the same model, and parsing a 50 MB pickle for each is wasted time.
_RECENT: dict[tuple, FlameMapping] = {}


def _file_key(*paths: str | os.PathLike[str] | None) -> tuple:
    key: list = []
    for path in paths:
        if path is not None and Path(path).is_file():
            stat = Path(path).stat()
            key += [str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size]
        else:
            key.append(path and str(path))
    return tuple(key)


def mapping_for(model: FlameModel | str | os.PathLike[str], landmarks: str | os.PathLike[str] | None
                = None, *, use_cache: bool = True) -> FlameMapping:
    """The mapping for a model (loaded from its path if given one), from the cache when valid.

    The cache lives next to the model file; where that folder is read-only, in
    ~/.cache/talkface/flame/.
    """
    if not isinstance(model, FlameModel):
        key = _file_key(model, landmarks)
        if use_cache and key in _RECENT:
            return _RECENT[key]
        mapping = mapping_for(load_flame(model, landmarks), use_cache=use_cache)
        _RECENT[key] = mapping
        while len(_RECENT) > 4:
            _RECENT.pop(next(iter(_RECENT)))
        return mapping
    path = cache_path(model)
    if use_cache:
        for candidate in (path, _user_cache(path)):
            cached = _read_cache(candidate, model)
            if cached is not None:
                return cached
    mapping = compute_mapping(model)
    for target in (path, _user_cache(path)):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            np.savez(target, matrix=mapping.matrix, residuals=mapping.residuals,
                     model_sha256=np.str_(mapping.model_sha256), names=np.array(ARKIT_NAMES))
            break
        except OSError:
            continue
    return mapping


def arkit_to_flame(anim: Animation, flame_model: FlameModel | FlameMapping | str | os.PathLike[str],
                   landmarks: str | os.PathLike[str] | None = None) -> Animation:
    """What generate(output=FlameOutput(...)) returns: FLAME expression channels Exp000.. plus
    JawRotX/Y/Z (radians). An animation already in FLAME channels passes through (a checkpoint
    that outputs FLAME directly), if its expression count matches the model."""
    mapping = flame_model if isinstance(flame_model, FlameMapping) else mapping_for(
        flame_model, landmarks)
    if anim.channels == FLAME:
        if tuple(anim.names) != mapping.channels:
            raise FlameError(f"the animation has {len(anim.names)} FLAME channels, the model "
                             f"{len(mapping.channels)}")
        return anim
    return mapping.apply(anim)

