"""Training data: the phone-driven ARKit-52 teacher and the corpus built with it.

Build:   talkface data build --out DIR [--sources tts,tts_de,festival,piper,ravdess,emodb] [--clips N]
                             [--german-clips N] [--festival-clips N] [--piper-clips N] --seed S [--augment K]
Plot:    talkface data plot DIR CLIP_ID --out clip.png
Compare: talkface data compare [--talkvid DIR]   (teacher and model jawOpen vs MediaPipe curves: r, lag)

Corpus layout (the data -> model contract):
  DIR/manifest.jsonl    one JSON object per clip, sorted by id:
      id, source (tts = espeak-ng English | tts_de = espeak-ng German | festival | piper | ravdess |
      emodb), license, license_use (any | non-commercial | research-only),
      emotion (one of blendshapes.EMOTIONS), intensity (0..1), source_emotion (the corpus's own label),
      speaker, style (int, < style.NUM_STYLES), text, sentence (same-words group key), phone_set
      (espeak | espeak_de | arpabet | sampa_de), duration (s), frames, fps (60), wav, npz (paths relative to DIR);
      augmented copies add base_id and augment (what was done, speed factor).
  DIR/clips/<id>.wav    16 kHz mono PCM16
  DIR/clips/<id>.npz    weights (T x 52 float32, 60 fps, ARKit order), phones (structured: start f4,
                        end f4, phone U8), emotion, intensity, speaker, style, text, sentence, source,
                        license, phone_set, fps. Loads with allow_pickle=False.
  DIR/clips/<id>.json   the clip's manifest record (written last: it marks the clip complete)
  DIR/failures.jsonl    clips that could not be made (e.g. RAVDESS takes pocketsphinx cannot align)

Label mapping: RAVDESS normal/strong -> intensity 0.5/1.0; RAVDESS calm -> neutral at 0.25; EmoDB
intensity 0.75, boredom -> neutral at 0.25; synthetic clips draw intensity 0.3..1 (neutral 0.5).
Style ids: 0-23 RAVDESS actors 01-24, 24-33 EmoDB speakers, 34-49 espeak-ng voices, 50, 51, 53 Festival
voices slt, kal, ked; 52 Piper joe; 54-60 espeak-ng German voices (source tts_de).
Licenses: keep license_use == "any" for a checkpoint anyone may use (synthetic speech only).
EmoDB: the shared copy cuts every file at 2.0 s; phones are clipped to it (record: audio_truncated).
Lip-sync helper: visemes.bilabial_mask(phones, n_frames, fps, phone_set).
"""
