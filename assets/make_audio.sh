#!/usr/bin/env bash
# Makes the audio examples in assets/ (espeak-ng and sox from Debian; the chirp is plain numpy).
set -euo pipefail
cd "$(dirname "$0")"
espeak-ng -v en-us -s 150 -w /tmp/short.wav "Hello, and welcome to the pipeline playground. Try a model in your browser."
sox /tmp/short.wav -r 16000 -c 1 -b 16 speech_short.wav
espeak-ng -v en-us -s 140 -w /tmp/long.wav "The quick brown fox jumps over the lazy dog. \
Speech recognition turns spoken words into text. This clip is about half a minute long, \
so that the long audio settings of the recogniser have something to chew on. \
Models are loaded once, kept in memory while they are used, and answered from the cache afterwards. \
Every tab of the playground has examples like this one, so a presenter can show a result at once."
sox /tmp/long.wav -r 16000 -c 1 speech_long.ogg
python3 - <<'PY'
import numpy as np, soundfile as sf
sr = 16000
t = np.arange(int(sr * 2.0)) / sr
chirp = 0.3 * np.sin(2 * np.pi * (220 * t + 440 * t**2))  # a rising tone, 220 Hz to ~2 kHz
sf.write("chirp.wav", chirp.astype(np.float32), sr, subtype="PCM_16")
PY
