#!/usr/bin/env python3
"""Make tests/data/vocab/carebundle_patients.json: the medication lists (RxNorm display string
and RxCUI of every MedicationRequest) of 200 synthetic US Core patients from carebundle
(PyPI, Apache-2.0). The exact command is in third_party/carebundle/README.md; carebundle's
output is deterministic for a seed, so this file only changes when carebundle does.

Usage: carebundle-patients.py [--carebundle PATH-TO-CLI]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "vocab" / "carebundle_patients.json"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# Keep in step with third_party/carebundle/README.md.
ARGS = ["generate", "--profile", "mixed", "--count", "200", "--seed", "42", "--sex", "mixed",
        "--age-range", "18-90", "--reference-date", "2026-01-01"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--carebundle", default=shutil.which("carebundle") or "carebundle")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([a.carebundle, *ARGS, "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        patients = []
        for f in sorted(Path(tmp).glob("*.json")):
            bundle = json.loads(f.read_text(encoding="utf-8"))
            pid = None
            meds = []
            for e in bundle.get("entry", []):
                r = e["resource"]
                if r["resourceType"] == "Patient":
                    pid = e.get("fullUrl", "").removeprefix("urn:uuid:") or r.get("id")
                elif r["resourceType"] == "MedicationRequest":
                    cc = r.get("medicationCodeableConcept") or {}
                    codings = [c for c in cc.get("coding", []) if c.get("system") == RXNORM]
                    if codings:
                        c = codings[0]
                        meds.append({"display": c.get("display") or cc.get("text", ""),
                                     "rxcui": c.get("code", "")})
                    elif cc.get("text"):
                        meds.append({"display": cc["text"], "rxcui": ""})
            patients.append({"patient": pid or f.stem, "bundle": f.name, "medications": meds})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(patients, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    n = sum(len(p["medications"]) for p in patients)
    d = len({m["display"] for p in patients for m in p["medications"]})
    print(f"{OUT.relative_to(ROOT)}: {len(patients)} patients, {n} medications, {d} distinct strings",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
