"""A stylised head made by code, with all 52 ARKit shape keys, so a new user can try talkface at once.

One mesh holds skin, eyeballs, teeth, tongue and mouth cavity (so every shape key can move every
part: jawOpen carries the lower teeth and tongue, eyeLook* turns the eyeballs). The skin is a UV
sphere sculpted by smooth fields; the lip line and the eye lines are rows of edges split in two, so
the mouth is closed at rest and opens without holes. Each shape key is a displacement (or a
rotation) of the rest positions weighted by smooth region masks: all geometry, no images.
Units: the head is built about 2 units tall and scaled to 0.24 m.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import bmesh
import bpy
import numpy as np

from talkface_core.blendshapes import ARKIT_NAMES

SCALE = 0.11
RINGS, SEGMENTS = 96, 128
MOUTH_Z, MOUTH_W = -0.42, 0.24     # lip line height, half-width of the mouth
EYE_Z, EYE_X, EYE_W = 0.2, 0.3, 0.145  # eye line height, eye centre x, half-width of the eye opening
EYE_R = 0.135
JAW_PIVOT = np.array([0.0, 0.25, -0.05])
JAW_ANGLE = 0.3
OPEN_UP, OPEN_DOWN = 0.095, 0.05  # how far the eye line opens at rest, up and down

COLOURS = {  # material name -> base colour (linear RGB)
    "skin": (0.62, 0.38, 0.29), "lips": (0.45, 0.17, 0.16), "hair": (0.035, 0.022, 0.015),
    "brow": (0.09, 0.06, 0.04), "sclera": (0.9, 0.88, 0.85), "iris": (0.12, 0.26, 0.42),
    "pupil": (0.01, 0.01, 0.01), "teeth": (0.8, 0.78, 0.7), "mouth": (0.06, 0.01, 0.012),
    "tongue": (0.42, 0.12, 0.12),
}
MATERIALS = tuple(COLOURS)


def _ss(a: float, b: float, x: np.ndarray) -> np.ndarray:
    """Smoothstep from a (0) to b (1); works for a > b too."""
    t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _gauss(p: np.ndarray, centre, radii) -> np.ndarray:
    d = (p - np.asarray(centre)) / np.asarray(radii)
    return np.exp(-(d * d).sum(axis=1))


@dataclass
class Part:
    verts: np.ndarray
    faces: list
    face_materials: list
    tag: str


@dataclass
class Head:
    verts: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    faces: list = field(default_factory=list)
    face_materials: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)  # tag -> vertex index array

    def add(self, part: Part) -> np.ndarray:
        base = len(self.verts)
        self.verts = np.concatenate([self.verts, part.verts])
        self.faces += [[base + i for i in f] for f in part.faces]
        self.face_materials += part.face_materials
        idx = np.arange(base, base + len(part.verts))
        self.tags[part.tag] = idx
        return idx


# -- skin ------------------------------------------------------------------------------------------

def _sculpt(d: np.ndarray) -> np.ndarray:
    """Rest position of the skin for unit directions d (x right = character's left, -y front)."""
    x, y, z = d[:, 0] * 0.80, d[:, 1] * 0.98, d[:, 2] * 1.12
    front = _ss(0.1, -0.6, y)
    # Narrower lower face and a jaw line; a flatter back of the skull.
    x = x * (1 - 0.16 * _ss(0.1, -0.9, z) * (0.6 + 0.4 * front))
    y = np.where(y > 0, y * (1 - 0.08 * _ss(0.0, -0.8, z)), y)
    p = np.stack([x, y, z], axis=1)
    # Chin forward, cheekbones out, brow ridge forward, eye sockets in.
    p[:, 1] -= 0.10 * _gauss(p, (0, -0.8, -0.88), (0.22, 9, 0.14)) * front
    for side in (-1, 1):
        p[:, 0] += side * 0.05 * _gauss(p, (side * 0.5, -0.5, -0.02), (0.18, 9, 0.18)) * front
        p[:, 1] += 0.13 * _gauss(p, (side * EYE_X, -0.9, EYE_Z), (0.16, 9, 0.11)) * front
        p[:, 1] -= 0.045 * _gauss(p, (side * 0.3, -0.9, EYE_Z + 0.2), (0.2, 9, 0.06)) * front
        # nostril wings
        p[:, 1] -= 0.11 * _gauss(p, (side * 0.085, -0.9, -0.17), (0.06, 9, 0.06)) * front
        p[:, 0] += side * 0.025 * _gauss(p, (side * 0.085, -0.9, -0.17), (0.06, 9, 0.06)) * front
    # Nose: a ridge rising from the brow to the tip, then tucked under.
    zn = p[:, 2]
    ridge = np.clip((0.28 - zn) / 0.42, 0, 1) ** 1.3 * _ss(-0.22, -0.13, zn)
    width = 0.055 + 0.05 * np.clip((0.28 - zn) / 0.42, 0, 1)
    p[:, 1] -= (0.05 + 0.27 * ridge) * np.exp(-(p[:, 0] / width) ** 2) * _ss(0.36, 0.22, zn) * front
    # Lips: a forward bulge, fuller in the middle; a groove above the chin.
    lips = np.exp(-(p[:, 0] / 0.22) ** 4) * np.exp(-((zn - MOUTH_Z) / 0.075) ** 2)
    p[:, 1] -= 0.075 * lips * front
    p[:, 1] += 0.03 * _gauss(p, (0, -0.9, MOUTH_Z - 0.17), (0.18, 9, 0.06)) * front
    # Neck: the bottom of the sphere becomes a cylinder going down.
    start = np.where(d[:, 1] < 0, -0.9, -0.55)
    w = _ss(start, start - 0.35, zn)
    neck_dir = np.stack([d[:, 0], d[:, 1]], axis=1)
    neck_dir /= np.maximum(np.linalg.norm(neck_dir, axis=1, keepdims=True), 1e-6)
    neck = np.stack([neck_dir[:, 0] * 0.52, neck_dir[:, 1] * 0.55 + 0.12], axis=1)
    p[:, :2] = p[:, :2] * (1 - w[:, None]) + neck * w[:, None]
    p[:, 2] = np.where(zn < start, start + (zn - start) * (1 + 1.2 * w), zn)
    return p


def _skin() -> tuple[Part, dict]:
    theta = np.linspace(0, np.pi, RINGS + 1)[1:-1]  # poles handled as single vertices
    phi = -np.pi / 2 + np.linspace(0, 2 * np.pi, SEGMENTS, endpoint=False)  # segment 0 faces -y
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    d = np.stack([st * np.cos(phi), st * np.sin(phi), ct * np.ones_like(phi)], axis=2).reshape(-1, 3)
    d = np.concatenate([d, [[0, 0, 1], [0, 0, -1]]])
    rest = _sculpt(d)
    n_ring = RINGS - 1
    top, bottom = n_ring * SEGMENTS, n_ring * SEGMENTS + 1

    def vid(r: int, s: int) -> int:
        return r * SEGMENTS + s % SEGMENTS

    def ring_at(z: float) -> int:
        front = rest[[vid(r, 0) for r in range(n_ring)], 2]
        return int(np.argmin(np.abs(front - z)))

    # Split lines: (ring, segments whose lower side gets its own vertices)
    splits = {}
    mouth_ring = ring_at(MOUTH_Z)
    eye_ring = ring_at(EYE_Z)
    xs = rest[[vid(mouth_ring, s) for s in range(SEGMENTS)], 0]
    ys = rest[[vid(mouth_ring, s) for s in range(SEGMENTS)], 1]
    splits["mouth"] = (mouth_ring, [s for s in range(SEGMENTS) if abs(xs[s]) < MOUTH_W and ys[s] < 0])
    xe = rest[[vid(eye_ring, s) for s in range(SEGMENTS)], 0]
    ye = rest[[vid(eye_ring, s) for s in range(SEGMENTS)], 1]
    for side, name in ((1, "eyeL"), (-1, "eyeR")):
        splits[name] = (eye_ring, [s for s in range(SEGMENTS)
                                   if abs(xe[s] - side * EYE_X) < EYE_W and ye[s] < 0])
    # Interior segments get a duplicate (lower) vertex; the two end vertices stay shared (corners).
    extra, lower_of = [], {}
    for name, (ring, segs) in splits.items():
        inner = sorted(segs, key=lambda s: rest[vid(ring, s), 0])[1:-1]  # in x order (wraps at 0)
        for s in inner:
            lower_of[vid(ring, s)] = len(rest) + len(extra)
            extra.append(rest[vid(ring, s)])
    verts = np.concatenate([rest, np.array(extra).reshape(-1, 3)])

    faces = []
    for r in range(n_ring - 1):
        for s in range(SEGMENTS):
            a, b = vid(r, s), vid(r, s + 1)
            c, e = vid(r + 1, s + 1), vid(r + 1, s)
            # Faces just below a split ring use the lower duplicates of its vertices.
            faces.append([lower_of.get(a, a), lower_of.get(b, b), c, e])
    for s in range(SEGMENTS):
        faces.append([top, vid(0, s + 1), vid(0, s)])
        faces.append([vid(n_ring - 1, s), vid(n_ring - 1, s + 1), bottom])

    info = {"lip_pair": (vid(mouth_ring, 0), lower_of[vid(mouth_ring, 0)]),
            "lower": np.array(list(lower_of.values()), dtype=np.int64),  # pairwise with "upper"
            "upper": np.array(list(lower_of), dtype=np.int64),
            "mouth_ring": mouth_ring, "eye_ring": eye_ring, "n_ring": n_ring}
    ring_of = np.full(len(verts), -1.0)
    ring_of[:n_ring * SEGMENTS] = np.repeat(np.arange(n_ring), SEGMENTS)
    ring_of[top], ring_of[bottom] = -1, n_ring
    ring_of[info["lower"]] = [ring_of[u] + 0.5 for u in info["upper"]]  # marks "just below"
    info["ring_of"] = ring_of
    mats = [_skin_material(verts[f].mean(axis=0)) for f in faces]
    return Part(verts, faces, mats, "skin"), info


def _skin_material(c: np.ndarray) -> int:
    x, y, z = c
    across = np.sqrt(max(0.0, 1 - (x / (MOUTH_W + 0.01)) ** 2))
    if y < -0.3 and MOUTH_Z - 0.06 * across - 0.004 < z < MOUTH_Z + 0.045 * across + 0.004:
        return MATERIALS.index("lips")
    for side in (-1, 1):
        brow_z = EYE_Z + 0.2 + 0.035 * np.cos((x - side * 0.3) * 4.0) - 0.01
        if y < -0.2 and 0.07 < side * x < 0.5 and abs(z - brow_z) < 0.04 - 0.05 * abs(side * x - 0.28) ** 2:
            return MATERIALS.index("brow")
    # Hair: the top and back of the skull, with a hairline on the forehead and above the ears.
    hairline = 0.68 - 0.25 * _ss(-0.5, 0.3, np.array(y)).item() - 0.1 * (abs(x) > 0.6)
    if z > hairline or (y > 0.25 and z > -0.3):
        return MATERIALS.index("hair")
    return MATERIALS.index("skin")


# -- eyes, teeth, tongue, mouth ---------------------------------------------------------------------

def _sphere(centre, radii, rings: int, segs: int, tag: str, material) -> Part:
    """UV sphere with its pole on -y (looking forward); material(polar angle) per face."""
    th = np.linspace(0, np.pi, rings + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, segs, endpoint=False)
    st, ct = np.sin(th)[:, None], np.cos(th)[:, None]
    d = np.stack([st * np.cos(ph), -ct * np.ones_like(ph), st * np.sin(ph)], axis=2).reshape(-1, 3)
    d = np.concatenate([d, [[0, -1, 0], [0, 1, 0]]])
    verts = np.asarray(centre) + d * np.asarray(radii)
    n = rings - 1
    front, back = n * segs, n * segs + 1
    faces, mats = [], []
    for r in range(n - 1):
        for s in range(segs):
            faces.append([r * segs + s, (r + 1) * segs + s, (r + 1) * segs + (s + 1) % segs,
                          r * segs + (s + 1) % segs])
            mats.append(material((r + 1) / rings * np.pi))
    for s in range(segs):
        faces.append([front, s, (s + 1) % segs])
        mats.append(material(0.0))
        faces.append([(n - 1) * segs + (s + 1) % segs, (n - 1) * segs + s, back])
        mats.append(material(np.pi))
    return Part(verts, faces, mats, tag)


def _eye_material(angle: float) -> int:
    if angle < 0.2:
        return MATERIALS.index("pupil")
    return MATERIALS.index("iris") if angle < 0.48 else MATERIALS.index("sclera")


def _arch(centre_y: float, radius: float, z0: float, z1: float, thickness: float, tag: str) -> Part:
    """A horseshoe band (a row of teeth) around the front of the mouth."""
    angles = np.linspace(-1.05, 1.05, 21)
    rings = [(radius, z0), (radius, z1), (radius - thickness, z1), (radius - thickness, z0)]
    verts = np.array([[r * np.sin(a), centre_y - r * np.cos(a), z] for a in angles for r, z in rings])
    faces = [[i * 4 + k, i * 4 + (k + 1) % 4, (i + 1) * 4 + (k + 1) % 4, (i + 1) * 4 + k]
             for i in range(len(angles) - 1) for k in range(4)]
    faces += [[0, 3, 2, 1], [(len(angles) - 1) * 4 + k for k in range(4)]]
    return Part(verts, faces, [MATERIALS.index("teeth")] * len(faces), tag)


def _build() -> tuple[Head, dict]:
    head = Head()
    skin, info = _skin()
    head.add(skin)
    v = head.verts
    lip_front = v[head.tags["skin"]][np.abs(v[:, 0]) < 0.02]
    lip_y = lip_front[np.argmin(np.abs(lip_front[:, 2] - MOUTH_Z)), 1]
    for side, tag in ((1, "eyeL"), (-1, "eyeR")):
        near = v[(np.abs(v[:, 0] - side * EYE_X) < 0.03) & (np.abs(v[:, 2] - EYE_Z) < 0.03) & (v[:, 1] < 0)]
        centre = (side * EYE_X, near[:, 1].min() + EYE_R + 0.012, EYE_Z + 0.01)
        head.add(_sphere(centre, (EYE_R,) * 3, 16, 24, tag, _eye_material))
        info[tag + "_centre"] = np.array(centre)
    teeth_y = lip_y + 0.05 + 0.25
    # Both rows stay clear of the lip line, so closed lips never show teeth through the slit.
    head.add(_arch(teeth_y, 0.25, MOUTH_Z + 0.005, MOUTH_Z + 0.07, 0.035, "teeth_upper"))
    head.add(_arch(teeth_y + 0.03, 0.22, MOUTH_Z - 0.065, MOUTH_Z - 0.03, 0.035, "teeth_lower"))
    head.add(_sphere((0, teeth_y + 0.02, MOUTH_Z - 0.1), (0.13, 0.2, 0.04), 10, 16, "tongue",
                     lambda _a: MATERIALS.index("tongue")))
    head.add(_sphere((0, teeth_y + 0.06, MOUTH_Z - 0.03), (0.22, 0.26, 0.17), 12, 20, "cavity",
                     lambda _a: MATERIALS.index("mouth")))
    info["lip_y"] = lip_y
    # Only skin vertices have a mesh row; the other parts read as "no row" (-1).
    info["ring_of"] = np.concatenate([info["ring_of"], np.full(len(head.verts) - len(skin.verts), -1)])
    return head, info


# -- shape keys -------------------------------------------------------------------------------------

def _rotate_x(p: np.ndarray, pivot, angle: np.ndarray) -> np.ndarray:
    q = p - pivot
    c, s = np.cos(angle), np.sin(angle)
    out = q.copy()
    out[:, 1] = q[:, 1] * c - q[:, 2] * s
    out[:, 2] = q[:, 1] * s + q[:, 2] * c
    return out + pivot


def _rotate_about(p: np.ndarray, centre, axis: str, angle: float) -> np.ndarray:
    q = p - centre
    i, j = {"x": (1, 2), "z": (0, 1)}[axis]
    c, s = np.cos(angle), np.sin(angle)
    out = q.copy()
    out[:, i] = q[:, i] * c - q[:, j] * s
    out[:, j] = q[:, i] * s + q[:, j] * c
    return out + centre


def _shape_keys(head: Head, info: dict) -> dict[str, np.ndarray]:
    """name -> (N, 3) displacement of each ARKit shape key from the rest positions."""
    p = head.verts
    n = len(p)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]

    def mask(*tags: str) -> np.ndarray:
        m = np.zeros(n)
        for t in tags:
            m[head.tags[t]] = 1.0
        return m

    skin = mask("skin")
    front = _ss(0.15, -0.45, y) * skin
    ring = info["ring_of"].astype(float)
    # Which side of the lip line (by mesh rows, not height, so the split halves never mix).
    below_mouth = (ring > info["mouth_ring"]) * 1.0
    above_mouth = (ring <= info["mouth_ring"]) * (ring >= 0) * 1.0
    mouth_zone = np.exp(-(x / (MOUTH_W + 0.06)) ** 4) * front
    upper_lip = mouth_zone * above_mouth * _ss(MOUTH_Z + 0.16, MOUTH_Z + 0.01, z)
    lower_lip = mouth_zone * below_mouth * _ss(MOUTH_Z - 0.16, MOUTH_Z - 0.01, z)
    # The jaw carries the lower lip whole (rows below the lip line); beside the mouth corners the
    # skin follows gradually, so the corners stretch instead of tearing.
    inside_mouth = _ss(MOUTH_W + 0.02, MOUTH_W - 0.1, np.abs(x))
    jaw = (below_mouth * skin * _ss(0.35, -0.15, y) * _ss(-1.15, -0.9, z)
           * np.maximum(inside_mouth, _ss(MOUTH_Z + 0.02, MOUTH_Z - 0.12, z))
           + mask("teeth_lower", "tongue") + mask("cavity") * _ss(MOUTH_Z + 0.02, MOUTH_Z - 0.12, z))
    jaw = np.clip(jaw, 0, 1)
    lips_all = upper_lip + lower_lip
    left = _ss(-0.04, 0.1, x)
    right = _ss(0.04, -0.1, x)

    def corner(side: int) -> np.ndarray:
        return _gauss(p, (side * MOUTH_W, 0, MOUTH_Z), (0.13, 99, 0.11)) * front

    def region(cx: float, cz: float, rx: float, rz: float) -> np.ndarray:
        return _gauss(p, (cx, 0, cz), (rx, 99, rz)) * front

    def dv(weight: np.ndarray, vec) -> np.ndarray:
        """Displacement: weight per vertex times a vector."""
        return weight[:, None] * np.asarray(vec, dtype=float)

    d: dict[str, np.ndarray] = {}  # displacements from the rest positions
    eye_ring = info["eye_ring"]
    for side, s in ((1, "Left"), (-1, "Right")):
        tag = "eyeL" if side == 1 else "eyeR"
        centre = info[tag + "_centre"]
        eye_zone = np.exp(-((x - side * EYE_X) / (EYE_W + 0.03)) ** 2) * front
        lid_shape = np.clip(1 - ((x - side * EYE_X) / EYE_W) ** 2, 0, 1)
        upper_lid = eye_zone * (ring <= eye_ring) * (ring >= 0) * _ss(EYE_Z + 0.16, EYE_Z, z)
        lower_lid = eye_zone * (ring > eye_ring) * _ss(EYE_Z - 0.1, EYE_Z, z)
        opening_up = OPEN_UP * lid_shape   # the rest opening of the split eye line (_open_eyes)
        opening_down = OPEN_DOWN * lid_shape
        eyeball = mask(tag) > 0
        # Blink: the upper lid comes down past the middle, bulging forward over the eyeball.
        d[f"eyeBlink{s}"] = (dv(upper_lid * opening_up, (0, 0, -1.1)) + dv(lower_lid * opening_down, (0, 0, 0.3))
                             + dv(upper_lid * lid_shape, (0, -0.035, 0)))
        for look, axis, angle in (("Down", "x", 0.35), ("Up", "x", -0.35),
                                  ("In", "z", -0.4 * side), ("Out", "z", 0.4 * side)):
            out = np.zeros_like(p)
            out[eyeball] = _rotate_about(p[eyeball], centre, axis, angle) - p[eyeball]
            if look in ("Up", "Down"):  # the upper lid follows the gaze a little
                out += dv(upper_lid * opening_up, (0, 0, 0.35 if look == "Up" else -0.45))
            d[f"eyeLook{look}{s}"] = out
        d[f"eyeSquint{s}"] = (dv(lower_lid * opening_down, (0, 0, 0.7))
                              + dv(region(side * 0.33, EYE_Z - 0.16, 0.16, 0.08) * (1 - upper_lid), (0, -0.01, 0.03)))
        d[f"eyeWide{s}"] = dv(upper_lid * lid_shape, (0, 0, 0.04))
        d[f"mouthSmile{s}"] = (dv(corner(side), (side * 0.045, 0.03, 0.065))
                               + dv(region(side * 0.38, -0.15, 0.15, 0.13) * (1 - lips_all), (side * 0.01, -0.015, 0.035)))
        d[f"mouthFrown{s}"] = dv(corner(side), (side * 0.01, 0.0, -0.06))
        d[f"mouthDimple{s}"] = dv(corner(side), (side * 0.03, 0.04, 0.0))
        d[f"mouthStretch{s}"] = dv(corner(side), (side * 0.06, 0.01, -0.025))
        half = left if side == 1 else right
        d[f"mouthPress{s}"] = dv(upper_lip * half, (0, 0.01, -0.012)) + dv(lower_lip * half, (0, 0.01, 0.012))
        d[f"mouthLowerDown{s}"] = dv(lower_lip * half * _ss(0.0, 0.1, np.abs(x)), (0, -0.01, -0.06))
        d[f"mouthUpperUp{s}"] = dv(upper_lip * half * _ss(0.0, 0.1, np.abs(x)), (0, -0.01, 0.055))
        d[f"browDown{s}"] = dv(region(side * 0.3, EYE_Z + 0.2, 0.22, 0.11) * (1 - upper_lid), (-side * 0.012, 0.01, -0.05))
        d[f"browOuterUp{s}"] = dv(region(side * 0.43, EYE_Z + 0.2, 0.13, 0.12), (0, 0, 0.06))
        d[f"cheekSquint{s}"] = dv(region(side * 0.34, EYE_Z - 0.2, 0.15, 0.1) * (1 - upper_lid), (0, -0.01, 0.04))
        d[f"noseSneer{s}"] = dv(region(side * 0.09, -0.1, 0.08, 0.12), (side * 0.005, -0.005, 0.04))

    d["jawOpen"] = _rotate_x(p, JAW_PIVOT, JAW_ANGLE * jaw) - p
    d["jawForward"] = dv(jaw, (0, -0.07, 0))
    d["jawLeft"] = dv(jaw, (0.07, 0, 0))
    d["jawRight"] = dv(jaw, (-0.07, 0, 0))
    # mouthClose: the lips meet while the jaw stays open (ARKit pairs it with jawOpen). The lower
    # lip also slides back, so more mouthClose than jawOpen tucks it behind the upper lip (a
    # closed mouth) instead of pushing it through in front.
    d["mouthClose"] = (_rotate_x(p, JAW_PIVOT, -JAW_ANGLE * 0.75 * lower_lip) - p
                       + dv(upper_lip, (0, 0, -0.03)) + dv(lower_lip * lower_lip, (0, 0.045, 0)))
    d["mouthFunnel"] = (dv(lips_all, (0, -0.05, 0)) + dv(upper_lip, (0, 0, 0.035))
                        + dv(lower_lip, (0, 0, -0.035)) + dv(lips_all * x, (-0.15, 0, 0)))
    d["mouthPucker"] = dv(lips_all, (0, -0.08, 0)) + dv((corner(1) + corner(-1)) * x, (-0.35, 0, 0))
    around_mouth = mouth_zone * _ss(MOUTH_Z - 0.2, MOUTH_Z - 0.05, z) * _ss(MOUTH_Z + 0.2, MOUTH_Z + 0.05, z)
    d["mouthLeft"] = dv(around_mouth, (0.07, 0, 0))
    d["mouthRight"] = dv(around_mouth, (-0.07, 0, 0))
    d["mouthRollLower"] = dv(lower_lip, (0, 0.04, 0.02))
    d["mouthRollUpper"] = dv(upper_lip, (0, 0.04, -0.02))
    chin = region(0, MOUTH_Z - 0.3, 0.25, 0.2) * below_mouth
    d["mouthShrugLower"] = dv(np.maximum(lower_lip, chin), (0, -0.02, 0.04))
    d["mouthShrugUpper"] = dv(upper_lip, (0, -0.01, 0.03))
    d["browInnerUp"] = dv(region(0.12, EYE_Z + 0.2, 0.12, 0.12) + region(-0.12, EYE_Z + 0.2, 0.12, 0.12), (0, 0, 0.06))
    puff = region(0.4, MOUTH_Z + 0.1, 0.18, 0.2) - region(-0.4, MOUTH_Z + 0.1, 0.18, 0.2)
    d["cheekPuff"] = dv(puff, (0.08, 0, 0)) + dv(np.abs(puff), (0, -0.03, 0))
    tongue = mask("tongue")
    tip = _ss(0.05, -0.2, y - y[tongue > 0].mean())
    d["tongueOut"] = dv(tongue * (0.3 + 0.7 * tip), (0, -0.28, -0.03))
    missing = set(ARKIT_NAMES) - set(d)
    assert not missing, missing
    return d


def _open_eyes(head: Head, info: dict) -> None:
    """Open the split eye lines into almond-shaped lids (the rest pose); blinks undo this."""
    p = head.verts
    ring = info["ring_of"]
    front = _ss(0.15, -0.45, p[:, 1])
    for side in (1, -1):
        eye_zone = np.exp(-((p[:, 0] - side * EYE_X) / (EYE_W + 0.03)) ** 2) * front
        lid_shape = np.clip(1 - ((p[:, 0] - side * EYE_X) / EYE_W) ** 2, 0, 1)
        upper = eye_zone * (ring <= info["eye_ring"]) * (ring >= 0) * _ss(EYE_Z + 0.16, EYE_Z, p[:, 2])
        lower = eye_zone * (ring > info["eye_ring"]) * _ss(EYE_Z - 0.1, EYE_Z, p[:, 2])
        skin = np.zeros(len(p))
        skin[head.tags["skin"]] = 1
        p[:, 2] += skin * (upper * OPEN_UP - lower * OPEN_DOWN) * lid_shape


# -- Blender objects --------------------------------------------------------------------------------

def _material(name: str, colour) -> bpy.types.Material:
    mat = bpy.data.materials.get(f"TalkFace {name}") or bpy.data.materials.new(f"TalkFace {name}")
    mat.diffuse_color = (*colour, 1.0)
    mat.roughness = {"sclera": 0.2, "iris": 0.2, "pupil": 0.1, "lips": 0.4, "tongue": 0.35,
                     "teeth": 0.3, "hair": 0.85, "brow": 0.85}.get(name, 0.55)
    if not mat.node_tree:  # Blender 5.0 materials always have nodes; older ones need asking
        mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = (*colour, 1.0)
        bsdf.inputs["Roughness"].default_value = mat.roughness
        if name == "skin" and "Subsurface Weight" in bsdf.inputs:
            bsdf.inputs["Subsurface Weight"].default_value = 0.15
    return mat


def create(context, name: str = "TalkFace Head") -> bpy.types.Object:
    """Add the demo head to the scene at the 3D cursor and return it."""
    head, info = _build()
    offsets = _shape_keys(head, info)  # measured on the closed-eye build (lid regions by row)...
    _open_eyes(head, info)             # ...and added to the open-eyed rest pose
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata((head.verts * SCALE).tolist(), [], head.faces)
    mesh.polygons.foreach_set("material_index", head.face_materials)
    mesh.polygons.foreach_set("use_smooth", [True] * len(head.faces))
    for mat_name in MATERIALS:
        mesh.materials.append(_material(mat_name, COLOURS[mat_name]))
    mesh.update()
    bm = bmesh.new()  # weld nothing, but make the normals consistent (outward) for shading
    bm.from_mesh(mesh)
    bmesh.ops.recalc_face_normals(bm, faces=bm.faces)
    bm.to_mesh(mesh)
    bm.free()
    obj = bpy.data.objects.new(name, mesh)
    obj.location = context.scene.cursor.location
    obj["talkface_lip_pair"] = list(info["lip_pair"])  # upper/lower lip vertex at the mouth centre
    context.collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    for key_name in ARKIT_NAMES:
        block = obj.shape_key_add(name=key_name, from_mix=False)
        block.data.foreach_set("co", ((head.verts + offsets[key_name]) * SCALE).ravel())
    subsurf = obj.modifiers.new("Subdivision", "SUBSURF")
    subsurf.levels, subsurf.render_levels = 1, 2
    for other in context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    return obj
