"""Phone symbol -> viseme class, one table per phone set.

Viseme classes (defined with their articulation in visemes.py):
  sil  rest            PBM  bilabial closure      FV   labiodental (lower lip tucked)
  TH   dental (tongue)  TD   alveolar (t d n l)     SZ   sibilant, narrow and spread
  SH   postalveolar, protruded (sh zh ch j)        KG   velar (k g ng)     HH  glottal
  R    r (slightly rounded)   W  w (rounded)  Y  y (spread)
  vowels by openness/rounding: AA (open), AE (open front), AH (mid), EH (mid front),
  IY (close front), ER (r-coloured), AO (open rounded), OW (mid rounded), UW (close rounded)
A value "A+B" is a diphthong: the first half of the segment is A, the second half B.
"""
from __future__ import annotations

# CMU / pocketsphinx en-us ARPAbet (stress digits stripped before lookup).
ARPABET: dict[str, str] = {
    "SIL": "sil", "SP": "sil", "+NSN+": "sil", "+SPN+": "sil",
    "P": "PBM", "B": "PBM", "M": "PBM",
    "F": "FV", "V": "FV",
    "TH": "TH", "DH": "TH",
    "T": "TD", "D": "TD", "N": "TD", "L": "TD",
    "S": "SZ", "Z": "SZ",
    "SH": "SH", "ZH": "SH", "CH": "SH", "JH": "SH",
    "K": "KG", "G": "KG", "NG": "KG",
    "HH": "HH", "R": "R", "W": "W", "Y": "Y",
    "AA": "AA", "AE": "AE", "AH": "AH", "EH": "EH", "IH": "IY", "IY": "IY", "ER": "ER",
    "AO": "AO", "UH": "UW", "UW": "UW", "OW": "OW+UW",
    "AW": "AA+UW", "AY": "AA+IY", "EY": "EH+IY", "OY": "AO+IY",
}

# espeak-ng's English phoneme mnemonics, as its phoneme events report them.
ESPEAK_EN: dict[str, str] = {
    "_": "sil", "_:": "sil", "_!": "sil", "_|": "sil", ";": "sil", "?": "sil",  # pause, glottal stop
    "p": "PBM", "b": "PBM", "m": "PBM",
    "f": "FV", "v": "FV",
    "T": "TH", "D": "TH",
    "t": "TD", "d": "TD", "n": "TD", "l": "TD", "t#": "TD", "n-": "TD", "@L": "AH+TD", "l/2": "TD",
    "s": "SZ", "z": "SZ",
    "S": "SH", "Z": "SH", "tS": "SH", "dZ": "SH",
    "k": "KG", "g": "KG", "N": "KG", "x": "KG",
    "h": "HH", "r": "R", "r-": "R", "w": "W", "j": "Y",
    "a": "AE", "aa": "AA", "A:": "AA", "A@": "AA+R", "0": "AA", "V": "AH", "a#": "AH",
    "@": "AH", "@2": "AH", "@5": "AH", "3": "ER", "3:": "ER", "E": "EH", "e@": "EH+AH",
    "I": "IY", "I#": "IY", "I2": "IY", "i": "IY", "i:": "IY", "i@": "IY+AH", "i@3": "IY+ER",
    "O:": "AO", "O2": "AO", "aI@": "AA+IY+AH", "O@": "AO+R", "o@": "OW+R", "O": "AO", "OI": "AO+IY",
    "U": "UW", "u:": "UW", "U@": "UW+AH", "oU": "OW+UW", "aI": "AA+IY", "aU": "AA+UW", "eI": "EH+IY",
}

# German SAMPA as EmoDB's .lablaut files write it (length marks kept; '#' and '-' are pauses).
SAMPA_DE: dict[str, str] = {
    "#": "sil", "-": "sil", "_": "sil", "?": "sil", "Q": "sil", "#-": "sil",
    "p": "PBM", "b": "PBM", "m": "PBM",
    "f": "FV", "v": "FV", "pf": "PBM+FV",
    "t": "TD", "d": "TD", "n": "TD", "l": "TD", "ts": "TD+SZ",
    "s": "SZ", "z": "SZ",
    "S": "SH", "Z": "SH", "tS": "SH", "dZ": "SH",
    "k": "KG", "g": "KG", "N": "KG", "x": "KG", "C": "Y", "R": "KG",
    "h": "HH", "r": "R", "j": "Y", "6": "AH",
    "a": "AA", "a:": "AA", "6:": "AH", "@": "AH", "E": "EH", "E:": "EH", "e": "EH", "e:": "IY",
    "I": "IY", "i": "IY", "i:": "IY", "O": "AO", "o": "OW", "o:": "OW", "U": "UW", "u": "UW", "u:": "UW",
    "Y": "UW", "y": "UW", "y:": "UW", "9": "OW", "2": "OW", "2:": "OW",
    "aI": "AA+IY", "aU": "AA+UW", "OY": "AO+IY", "OI": "AO+IY", "AU": "AA+UW", "aO": "AA+UW",
    ".": "sil", "4": "TD", "D": "TD", "L": "TD", "X": "KG", "G": "KG", "H": "HH", "J": "Y",
    "B": "FV", "V": "FV", "A": "AA", "8": "AO",
}

# espeak-ng's German phoneme mnemonics: SAMPA-like, plus its own names for a few sounds.
ESPEAK_DE: dict[str, str] = {
    **SAMPA_DE,
    "_!": "sil", "_:": "sil", "_|": "sil",
    "3": "AH",          # vocalised r (SAMPA 6), as in "Bäcker"
    "W": "OW",          # short rounded ö (SAMPA 9), as in "möchte"
    "pF": "PBM+FV",     # pf, as in "Pflaume"
    "A:": "AA", "E2": "EH", "@-": "AH", "r-": "R", "Q": "sil", "Y:": "OW",  # Y: = long ö
}

PHONE_SETS: dict[str, dict[str, str]] = {"arpabet": ARPABET, "espeak": ESPEAK_EN, "sampa_de": SAMPA_DE,
                                         "espeak_de": ESPEAK_DE}


def viseme_of(phone: str, phone_set: str) -> str:
    """The viseme class (or "A+B" diphthong) of one phone; unknown symbols fall back sensibly."""
    table = PHONE_SETS[phone_set]
    key = phone.rstrip("012") if phone_set == "arpabet" else phone
    if key in table:
        return table[key]
    # espeak/SAMPA add stress and length marks ("'", ",", ":", "~"); try without them.
    stripped = key.strip("'\",%=~").rstrip(":")
    if stripped in table:
        return table[stripped]
    if stripped[:1] in table:
        return table[stripped[:1]]
    return "AH" if stripped[:1].lower() in "aeiouy@369" else "TD"
