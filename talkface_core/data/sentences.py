"""A generator of varied, natural sentences for synthetic speech, in English and German.

Templates with slots filled from small word lists chosen to cover every phoneme of the language
(checked by tests/test_data_sources.py through espeak-ng's own phonemes). One to three
clauses are joined with commas, semicolons or full stops, so clips run 1–12 s with pauses.
German is there so the lips learn phone timing, not English: the default checkpoint may not
train on recorded German (EmoDB is research-only), and real users speak many languages.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORDS: dict[str, tuple[str, ...]] = {
    "name": ("Bob", "Maria", "Peter", "Judy", "George", "Vanessa", "Theo", "Zoe", "Hannah", "Michael",
             "Olivia", "Yusuf", "Charlotte", "Ray", "Beth", "Wendy", "Jacob", "Fiona", "Owen", "Sean"),
    "noun": ("book", "bottle", "garage", "window", "mirror", "puzzle", "chair", "jacket", "voice",
             "theatre", "treasure", "bridge", "orange", "umbrella", "pillow", "thumb", "valley", "shoe",
             "engine", "measure", "fish", "boat", "cookie", "mountain", "village", "feather", "rhythm",
             "whistle", "yoghurt", "zipper", "breakfast", "message", "picture", "judge", "cloud"),
    "place": ("the kitchen", "the beach", "the old market", "the garden", "the station", "the museum",
              "the library", "the north shore", "the village hall", "the harbour", "the forest path",
              "the top floor", "the bakery", "the playground", "the office"),
    "adj": ("big", "tiny", "purple", "smooth", "heavy", "broken", "shiny", "warm", "noisy", "boring",
            "beautiful", "strange", "ugly", "fresh", "thick", "loose", "quiet", "yellow", "muddy", "huge"),
    "verb_past": ("bought", "found", "watched", "moved", "painted", "pushed", "measured", "washed",
                  "borrowed", "fixed", "visited", "opened", "threw", "chose", "judged", "wrapped",
                  "mentioned", "enjoyed", "dropped", "shared"),
    "time": ("yesterday", "this morning", "last Thursday", "every summer", "at midnight", "in the evening",
             "after lunch", "two weeks ago", "on Monday", "before the storm"),
    "feeling": ("happy", "worried", "furious", "surprised", "sleepy", "nervous", "thrilled", "upset",
                "relieved", "amazed"),
}

TEMPLATES: tuple[str, ...] = (
    "{name} {verb_past} the {adj} {noun} {time}",
    "I never thought the {noun} in {place} would be so {adj}",
    "Why did {name} leave the {noun} near {place}",
    "We {verb_past} a {adj} {noun} for {name}",
    "Please bring me the {adj} {noun} from {place}",
    "Honestly, {name} was {feeling} about the {noun}",
    "Do you remember the {adj} {noun} we {verb_past} {time}",
    "The {noun} is on the table, next to the {adj} {noun}",
    "{name} and {name} were {feeling} {time}",
    "Look at that {adj} {noun}",
    "There is a {adj} {noun} waiting for you in {place}",
    "Nobody {verb_past} the {noun}, not even {name}",
    "Oh no, the {noun} is {adj} again",
    "Could you believe it, {name} {verb_past} my {noun}",
    "Maybe we should move the {noun} to {place}",
    "Yes, of course",
    "No way",
    "Thank you so much, {name}",
)
JOINERS = (", ", "; ", ". ", ", and ", ", but ", "! ", "? ")

WORDS_DE: dict[str, tuple[str, ...]] = {
    "name": ("Paula", "Bernd", "Monika", "Jürgen", "Sophie", "Lukas", "Brigitte", "Matthias",
             "Ulrike", "Wolfgang", "Anja", "Herr Pfeiffer", "Zoe", "Björn", "Hanna", "Friedrich"),
    # All masculine, so every template's article fits.
    "noun": ("Apfel", "Tisch", "Schlüssel", "Mantel", "Zucker", "Becher", "Koffer", "Spiegel",
             "Löffel", "Kuchen", "Bahnhof", "Stuhl", "Garten", "Wagen", "Brief", "Vogel", "Pfeffer",
             "Pullover", "Teppich", "Schrank", "Ball", "Korb", "Hut", "Topf"),
    "place": ("der Küche", "dem Markt", "dem Bahnhof", "der Schule", "dem Wald", "der Bäckerei",
              "dem Museum", "der Brücke", "dem Hafen", "der Wohnung"),
    "adj": ("groß", "klein", "schön", "blau", "schwer", "müde", "frisch", "böse", "lustig", "warm",
            "merkwürdig", "prächtig", "hübsch", "nass", "bunt", "ruhig"),
    "verb_past": ("kaufte", "fand", "brachte", "malte", "suchte", "wusch", "öffnete", "mochte",
                  "zeigte", "baute", "bemerkte", "vermisste", "putzte", "schob"),
    "time": ("gestern", "heute Morgen", "am Montag", "jeden Sommer", "um Mitternacht", "nach dem Essen",
             "vor zwei Wochen", "im Herbst"),
    "feeling": ("froh", "wütend", "traurig", "überrascht", "müde", "nervös", "begeistert", "erleichtert"),
}

TEMPLATES_DE: tuple[str, ...] = (
    "{name} {verb_past} {time} den {noun}",
    "Ich glaube, der {noun} in {place} ist sehr {adj}",
    "Warum hat {name} den {noun} bei {place} vergessen",
    "Wir haben den {noun} für {name} gefunden",
    "Bitte bring mir den {noun} aus {place}",
    "Ehrlich gesagt war {name} {time} ziemlich {feeling}",
    "Weißt du noch, wie {adj} der {noun} war",
    "Der {noun} liegt auf dem Tisch, neben dem {noun}",
    "{name} und {name} waren {time} {feeling}",
    "Schau mal, dieser {noun} ist {adj}",
    "Niemand {verb_past} den {noun}, nicht einmal {name}",
    "Oh nein, der {noun} ist schon wieder {adj}",
    "Vielleicht liegt er noch in {place}",
    "Ja, natürlich",
    "Vielen Dank, {name}",
)


@dataclass(frozen=True)
class Language:
    words: dict[str, tuple[str, ...]]
    templates: tuple[str, ...]
    keep_case: tuple[str, ...]  # clause starts that keep their capital letter after a comma


LANGUAGES: dict[str, Language] = {
    "en": Language(WORDS, TEMPLATES, ("I ", *WORDS["name"])),
    "de": Language(WORDS_DE, TEMPLATES_DE, tuple(WORDS_DE["name"])),
}


MAX_CHARS = 130  # under 12 s even at the slowest (sad, slow voice) speaking rate


def sentence(rng: np.random.Generator, language: str = "en") -> str:
    """One to three clauses, each a filled template, joined with punctuation (pauses);
    drawn again while longer than MAX_CHARS."""
    while len(text := _draw(rng, LANGUAGES[language])) > MAX_CHARS:
        pass
    return text


def _draw(rng: np.random.Generator, lang: Language) -> str:
    clauses = [_fill(lang.templates[rng.integers(len(lang.templates))], rng, lang.words)
               for _ in range(int(rng.choice([1, 1, 2, 2, 3])))]
    text = clauses[0]
    for clause in clauses[1:]:
        joiner = JOINERS[rng.integers(len(JOINERS))]
        if joiner.strip() in ".!?":
            clause = clause[0].upper() + clause[1:]
        elif not clause.startswith(lang.keep_case):
            clause = clause[0].lower() + clause[1:]
        text += joiner + clause
    return text[0].upper() + text[1:] + str(rng.choice([".", ".", "!", "?"]))


def _fill(template: str, rng: np.random.Generator, vocabulary: dict[str, tuple[str, ...]]) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        slot = out[start + 1: out.index("}", start)]
        words = vocabulary[slot]
        out = out[:start] + words[rng.integers(len(words))] + out[out.index("}", start) + 1:]
    return out
