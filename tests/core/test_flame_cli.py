"""`talkface generate --output-space flame --flame-model FILE` end to end: speech in, FLAME
expression and jaw curves out. It runs an untrained network: what is tested is the FLAME path
(channels, mapping, cache, refusal of bad model files), not the network's quality."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from talkface_core import FlameOutput, cli, generate
from talkface_core.animation import FLAME, Animation
from talkface_core.flame.mapping import JAW_CHANNELS, mapping_for
from fixtures.flame_synthetic import synthetic_flame, write_synthetic_flame


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    """An untrained network in checkpoint format: exercises the pipeline, not the quality."""
    pytest.importorskip("torch")
    from talkface_core.model.checkpoint import save_checkpoint
    from talkface_core.model.network import NetConfig, TalkNet

    path = tmp_path_factory.mktemp("ckpt") / "untrained.safetensors"
    return save_checkpoint(path, TalkNet(NetConfig()).eval(), {"training_data": "none (test)"})


def _generate(tmp_path, audio, model, checkpoint, capsys) -> Animation:
    out = tmp_path / "flame.json"
    rc = cli.main(["generate", str(audio), "-o", str(out), "--output-space", "flame",
                   "--flame-model", str(model), "--fps", "30", "--quiet", "--device", "cpu",
                   "--checkpoint", str(checkpoint)])
    assert rc == 0, capsys.readouterr().err
    return Animation.load(out)


def test_generate_writes_flame_channels(tmp_path, speech_wav, untrained, capsys):
    model = write_synthetic_flame(tmp_path / "generic_model.npz")
    anim = _generate(tmp_path, speech_wav, model, untrained, capsys)
    assert anim.names[0] == "Exp000" and anim.names[-3:] == JAW_CHANNELS
    assert len(anim.names) == 103 and anim.channels == FLAME and anim.fps == 30.0
    assert anim.duration == pytest.approx(4.0, abs=1.5)
    assert list(tmp_path.glob("generic_model.talkface-arkit52.*.npz")), "mapping cached"


def test_flame_output_is_the_arkit_output_mapped(tmp_path, speech_wav, untrained, capsys):
    """Same audio, same seed: the FLAME curves are exactly the ARKit curves through the model's
    52 x (E + 3) matrix (jawOpen's row carries the jaw pitch)."""
    model = write_synthetic_flame(tmp_path / "generic_model.npz")
    flame = _generate(tmp_path, speech_wav, model, untrained, capsys)
    arkit_out = tmp_path / "arkit.json"
    assert cli.main(["generate", str(speech_wav), "-o", str(arkit_out), "--fps", "30", "--quiet",
                     "--device", "cpu", "--checkpoint", str(untrained)]) == 0
    arkit = Animation.load(arkit_out)
    matrix = mapping_for(model).matrix
    np.testing.assert_allclose(flame.weights, arkit.weights @ matrix, atol=2e-5)


def _split_landmarks(tmp_path) -> tuple:
    """A model without its embedding, and the embedding as DECA's landmark_embedding.npy in
    another folder (where the loader would not look by itself)."""
    arrays = synthetic_flame()
    model = write_synthetic_flame(tmp_path / "flame2023.npz",
                                  {k: v for k, v in arrays.items() if not k.startswith("lmk_")})
    lmk = tmp_path / "elsewhere" / "landmark_embedding.npy"
    lmk.parent.mkdir()
    np.save(lmk, np.array({"full_lmk_faces_idx": arrays["lmk_faces_idx"][None],
                           "full_lmk_bary_coords": arrays["lmk_bary_coords"][None]},
                          dtype=object), allow_pickle=True)
    return model, lmk


def test_flame_landmarks_option(tmp_path, speech_wav, untrained, capsys):
    """--flame-landmarks supplies the embedding the model lacks; the result is the same as with
    a model that holds that embedding itself."""
    model, lmk = _split_landmarks(tmp_path)
    out = tmp_path / "flame.json"
    base = ["generate", str(speech_wav), "-o", str(out), "--output-space", "flame",
            "--flame-model", str(model), "--fps", "30", "--quiet", "--device", "cpu",
            "--checkpoint", str(untrained)]
    assert cli.main(base) == 2
    assert "--flame-landmarks" in capsys.readouterr().err
    assert cli.main([*base, "--flame-landmarks", str(lmk)]) == 0, capsys.readouterr().err
    anim = Animation.load(out)
    assert len(anim.names) == 103 and anim.names[-3:] == JAW_CHANNELS
    whole = _generate(tmp_path, speech_wav, write_synthetic_flame(tmp_path / "whole.npz"),
                      untrained, capsys)
    np.testing.assert_allclose(anim.weights, whole.weights, atol=1e-6)
    # The Python API (what the Blender add-on calls) takes the same file.
    api = generate(speech_wav, fps=30, device="cpu", checkpoint=untrained,
                   output=FlameOutput(model, lmk))
    np.testing.assert_allclose(api.weights, anim.weights, atol=1e-6)


@pytest.mark.parametrize("kind", ["missing", "no_embedding", "garbage"])
def test_bad_flame_landmarks_file_fails_clearly(tmp_path, speech_wav, untrained, capsys, kind):
    """A bad landmark file is reported by name before the network runs, even for a model that
    has an embedding of its own (the file the user names wins), and nothing is written."""
    model = write_synthetic_flame(tmp_path / "generic_model.npz")
    lmk = tmp_path / "landmark_embedding.npz"
    if kind == "no_embedding":
        np.savez(lmk, something_else=np.zeros(3))
    elif kind == "garbage":
        lmk.write_bytes(b"not a zip file")
    out = tmp_path / "x.json"
    rc = cli.main(["generate", str(speech_wav), "-o", str(out), "--output-space", "flame",
                   "--flame-model", str(model), "--flame-landmarks", str(lmk), "--quiet",
                   "--device", "cpu", "--checkpoint", str(untrained)])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    expected = {"missing": "file not found", "no_embedding": "holds no landmark embedding",
                "garbage": "not a readable FLAME file"}[kind]
    assert expected in err and "landmark_embedding.npz" in err and "Traceback" not in err


def test_flame_options_need_flame_output_space(tmp_path, speech_wav, capsys):
    rc = cli.main(["generate", str(speech_wav), "-o", str(tmp_path / "x.json"), "--quiet",
                   "--flame-landmarks", str(tmp_path / "lmk.npy")])
    assert rc == 2 and "--output-space flame" in capsys.readouterr().err
    rc = cli.main(["generate", str(speech_wav), "-o", str(tmp_path / "x.json"), "--quiet",
                   "--output-space", "flame"])
    assert rc == 2 and "--flame-model" in capsys.readouterr().err


def test_generate_with_a_malicious_model_fails_cleanly(tmp_path, speech_wav, untrained, capsys):
    class Exploit:
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'pwned'}",)

    bad = tmp_path / "generic_model.pkl"
    bad.write_bytes(pickle.dumps(Exploit(), protocol=2))
    rc = cli.main(["generate", str(speech_wav), "-o", str(tmp_path / "x.json"), "--output-space",
                   "flame", "--flame-model", str(bad), "--quiet", "--device", "cpu",
                   "--checkpoint", str(untrained)])
    assert rc == 2
    assert "refused to load" in capsys.readouterr().err
    assert not (tmp_path / "pwned").exists()
