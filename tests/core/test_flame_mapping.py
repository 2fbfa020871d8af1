"""ARKit -> FLAME mapping on synthetic FLAME-format heads: known deformations are recovered, the jaw
comes out as a rotation, the cache is keyed by the model, and ARKit animations convert."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core import cli
from talkface_core.flame import mapping as flame_mapping
from talkface_core.flame.rotations import axis_angle, rotation_matrices
from talkface_core.animation import FLAME, Animation, AnimationError
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES
from talkface_core.flame.model import FlameError, load_flame
from talkface_core.flame.mapping import (JAW_CHANNELS, JAW_OPEN_RADIANS, arkit_fields,
                                         arkit_to_flame, compute_mapping, jaw_jacobian, jaw_motion,
                                         mapping_for)
from fixtures.flame_synthetic import synthetic_flame, write_synthetic_flame

SPANNED = ("eyeBlinkLeft", "mouthSmileRight", "browInnerUp", "mouthPucker")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_synthetic_flame(tmp_path_factory.mktemp("flame") / "generic_model.npz")


@pytest.fixture(scope="module")
def model(model_path):
    return load_flame(model_path)


@pytest.fixture(scope="module")
def mapping(model):
    return compute_mapping(model)


def test_fields_are_local_and_sided(model):
    fields = arkit_fields(model)
    assert fields.shape == (52, model.num_vertices, 3)
    norms = np.linalg.norm(fields, axis=2)
    assert (norms.max(axis=1) > 1e-4).all(), "every shape moves the face"
    x = model.v_template[:, 0]  # FLAME: +x is the subject's left
    for name in ("eyeBlinkLeft", "mouthSmileLeft", "browOuterUpLeft", "noseSneerLeft"):
        moved = norms[ARKIT_INDEX[name]]
        assert moved[x > 0].sum() > 20 * moved[x < 0].sum(), name
        mirror = norms[ARKIT_INDEX[name.replace("Left", "Right")]]
        assert mirror[x < 0].sum() > 20 * mirror[x > 0].sum(), name
    eyeballs = model.weights[:, 3] + model.weights[:, 4] > 0.5
    assert np.abs(fields[:, eyeballs]).max() == 0.0, "eyeballs never move"
    blink = fields[ARKIT_INDEX["eyeBlinkLeft"]]
    assert blink[:, 1].min() < -0.005, "the upper lid comes down by the eye opening"
    jaw = fields[ARKIT_INDEX["jawOpen"]]
    chin = np.argmin(model.v_template[:, 1] + 10 * np.abs(x))
    assert jaw[chin, 1] < -0.01, "jawOpen moves the chin down"


def test_spanned_shapes_are_recovered_exactly(tmp_path, model):
    """A model whose expression basis contains some ARKit deformations maps those with ~0
    residual, and the fitted coefficients rebuild the deformation; others stay poorly explained
    by the random rest of the basis (so the residual measures something)."""
    fields = arkit_fields(model)
    arrays = synthetic_flame(span=[fields[ARKIT_INDEX[n]] for n in SPANNED])
    spanned = load_flame(write_synthetic_flame(tmp_path / "spanned.npz", arrays))
    mapping = compute_mapping(spanned)
    for name in SPANNED:
        i = ARKIT_INDEX[name]
        assert mapping.residuals[i] < 1e-6, name
        coeffs, theta = mapping.matrix[i, :-3], mapping.matrix[i, -3:]
        rebuilt = spanned.exprdirs @ coeffs + jaw_motion(spanned, theta)
        np.testing.assert_allclose(rebuilt, fields[i], atol=1e-8)
    others = [i for i, n in enumerate(ARKIT_NAMES)
              if n not in SPANNED and not n.startswith(("jaw", "tongue"))]
    assert np.median(mapping.residuals[others]) > 0.8


def test_jaw_rotation_recovered(mapping):
    jaw_open = mapping.matrix[ARKIT_INDEX["jawOpen"], -3:]
    assert jaw_open[0] == pytest.approx(JAW_OPEN_RADIANS, rel=0.02)
    assert np.abs(jaw_open[1:]).max() < 0.01
    assert mapping.residuals[ARKIT_INDEX["jawOpen"]] < 0.05
    left, right = (mapping.matrix[ARKIT_INDEX[n], -3:] for n in ("jawLeft", "jawRight"))
    assert left[1] > 0.02 and right[1] < -0.02, "jawLeft yaws the chin to the subject's left"
    np.testing.assert_allclose(left[1], -right[1], rtol=0.05)
    assert abs(mapping.matrix[ARKIT_INDEX["eyeBlinkLeft"], -3:]).max() < 0.01


def test_jaw_jacobian_matches_finite_differences(model):
    theta = np.array([0.3, 0.05, -0.02])
    jac = jaw_jacobian(model, theta)
    for axis in range(3):
        step = np.zeros(3)
        step[axis] = 1e-6
        # The Jacobian is for a small rotation applied after theta.
        after = axis_angle(rotation_matrices(step) @ rotation_matrices(theta))
        numeric = (jaw_motion(model, after) - jaw_motion(model, theta)) / 1e-6
        # Correctives are linearised at rest: compare where they do not dominate.
        assert np.linalg.norm(numeric - jac[:, :, axis]) < 0.05 * np.linalg.norm(numeric)


def test_animation_conversion(mapping):
    rng = np.random.default_rng(1)
    weights = rng.uniform(0, 1, (30, 52)).astype(np.float32)
    anim = Animation(ARKIT_NAMES, 30.0, weights)
    out = arkit_to_flame(anim, mapping)
    assert out.names[:2] == ("Exp000", "Exp001") and out.names[-3:] == JAW_CHANNELS
    assert len(out.names) == 103 and out.channels == FLAME and out.fps == 30.0
    np.testing.assert_allclose(out.weights, weights @ mapping.matrix, rtol=1e-4, atol=1e-5)
    # channel order does not matter; missing ARKit shapes count as 0
    subset = Animation(["jawOpen", "eyeBlinkLeft"], 30.0, weights[:, [17, 0]])
    np.testing.assert_allclose(arkit_to_flame(subset, mapping).weights,
                               weights[:, [17, 0]] @ mapping.matrix[[17, 0]], rtol=1e-4, atol=1e-5)
    assert arkit_to_flame(out, mapping) is out, "FLAME output passes through"
    with pytest.raises(AnimationError, match="not ARKit"):
        arkit_to_flame(Animation(["smile"], 30.0, weights[:, :1]), mapping)
    with pytest.raises(FlameError, match="FLAME channels"):
        arkit_to_flame(Animation(out.names[:10], 30.0, out.weights[:, :10], channels=FLAME), mapping)


def test_cache_next_to_model_keyed_by_hash(tmp_path, monkeypatch):
    path = write_synthetic_flame(tmp_path / "generic_model.npz", synthetic_flame(seed=3))
    first = mapping_for(path)
    cached = list(tmp_path.glob("generic_model.talkface-arkit52.*.npz"))
    assert len(cached) == 1

    def fail(_model):
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr(flame_mapping, "compute_mapping", fail)
    np.testing.assert_array_equal(mapping_for(path).matrix, first.matrix)
    monkeypatch.undo()
    write_synthetic_flame(path, synthetic_flame(seed=4))  # another model under the same name
    second = mapping_for(path)
    assert second.model_sha256 != first.model_sha256
    assert len(list(tmp_path.glob("generic_model.talkface-arkit52.*.npz"))) == 2


def test_command_prints_residual_table(model_path, capsys, tmp_path):
    assert cli.main(["flame-mapping", str(model_path)]) == 0
    table = capsys.readouterr().out
    assert "jawOpen" in table and "median" in table and len(table.splitlines()) == 54
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    assert cli.main(["flame-mapping", str(bad)]) == 2
    assert "error:" in capsys.readouterr().err


def test_static_51_point_embedding_gives_the_same_fields(tmp_path, model):
    """FLAME's static embedding lacks the jaw contour; the fields never use it."""
    arrays = synthetic_flame()
    arrays["lmk_faces_idx"] = arrays["lmk_faces_idx"][17:]
    arrays["lmk_bary_coords"] = arrays["lmk_bary_coords"][17:]
    static = load_flame(write_synthetic_flame(tmp_path / "static.npz", arrays))
    np.testing.assert_allclose(arkit_fields(static), arkit_fields(model), atol=1e-12)
