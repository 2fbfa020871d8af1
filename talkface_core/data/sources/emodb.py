"""EmoDB (German): its own hand-labelled phone timings (.lablaut, German SAMPA)."""
from __future__ import annotations

from pathlib import Path

from ...audio import load_audio
from ..emotion import EMODB_EMOTIONS, EMODB_INTENSITY
from . import Rendered
from .licenses import license_fields

SPEAKERS = ("03", "08", "09", "10", "11", "12", "13", "14", "15", "16")
STYLE_BASE = 24
TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}


def jobs(data_dir: Path) -> list[dict]:
    root = data_dir / "emodb"
    out = []
    for wav in sorted((root / "wav").glob("*.flac")):
        label = root / "phones" / f"{wav.stem}xx.lablaut"
        if not label.exists():
            label = next(iter(sorted((root / "phones").glob(f"{wav.stem}*.lablaut"))), label)
        if label.exists():
            out.append({"id": f"emodb_{wav.stem}", "source": "emodb", "path": str(wav), "label": str(label)})
    return out


def read_lablaut(path: Path) -> list[tuple[float, float, str]]:
    """xlabel lines after '#': end time, -1, phone [diacritics]. Diacritic-only lines extend the
    previous phone; '!x' (release) and '_x' (closure) are parts of x; 'xasp' is aspirated x."""
    phones: list[tuple[float, float, str]] = []
    start, in_body = 0.0, False
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        if not in_body:
            in_body = line.strip() == "#"
            continue
        fields = line.split()
        if len(fields) < 2:
            continue
        end = float(fields[0])
        token = fields[2] if len(fields) > 2 else ""
        symbol = _normalise(token)
        if symbol is None and phones:
            phones[-1] = (phones[-1][0], end, phones[-1][2])
        elif end > start:
            phones.append((start, end, symbol or "#"))
        start = max(start, end)
    return phones


def _normalise(token: str) -> str | None:
    if not token or token[0] in "+-(":
        return None
    token = token.lstrip("!_").split("+")[0]
    if token.endswith("asp"):
        token = token[:-3]
    if len(token) == 2 and token[0] == token[1]:  # doubled (geminate) labels: nn, mm
        token = token[0]
    if len(token) > 1 and token.endswith("6") and token != "6:":
        token = token[:-1]  # vocalised r after a vowel: keep the vowel
    return token or None


def render(job: dict) -> Rendered:
    stem = Path(job["path"]).stem
    speaker, text_code, emo_letter = stem[:2], stem[2:5], stem[5]
    emotion, override = EMODB_EMOTIONS[emo_letter]
    audio = load_audio(job["path"])
    duration = len(audio) / 16000
    labels = read_lablaut(Path(job["label"]))
    if not labels:  # two files in the shared copy hold only the header
        raise ValueError(f"{Path(job['label']).name} has no phone labels")
    # The shared copy cuts every file at 2.0 s; keep only the labels the audio still holds.
    phones = [(s, min(e, duration), p) for s, e, p in labels if s < duration - 0.005]
    meta = {"emotion": emotion, "intensity": override if override is not None else EMODB_INTENSITY,
            "speaker": f"emodb_{speaker}", "style": STYLE_BASE + SPEAKERS.index(speaker),
            "text": TEXTS.get(text_code, ""), "sentence": f"emodb_{text_code}", "source_emotion": emo_letter,
            "audio_truncated": labels[-1][1] > duration + 0.05, **license_fields("emodb")}
    return Rendered(audio, phones, "sampa_de", meta)
