#!/usr/bin/env python3
"""Check painrx's drug-name vocabulary (third_party/vocab/) against the test lists in
tests/data/vocab/, the simple way a resolver would use it:

  * a name is normalised as third_party/vocab/README.md says (NFC, lowercase, whitespace
    collapsed) and looked up whole in names.tsv, then unaccented;
  * failing that, an RxNorm-style string is parsed: a bracketed brand ("[Lyrica]") is looked up
    on its own; the rest is split on " / " into ingredients, and from each the strength
    ("300 MG", "0.05 MG/ML", "2.5 %"), the dose-form words (rxnorm_dose_forms.txt, longest
    first), the release prefix ("24 HR") and then salt words (salts.txt) are stripped before
    looking the ingredient up;
  * an RxCUI is looked up in substances.tsv's rxcui column.

Reports coverage for common_drugs.txt (goal >= 99 %), not_drugs.txt (goal: no hit) and
carebundle_patients.json (goal: every ingredient of every medication string resolves) and exits
non-zero if a goal is missed. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCAB = ROOT / "third_party" / "vocab"
DATA = ROOT / "tests" / "data" / "vocab"


def norm(s: str) -> str:
    s = unicodedata.normalize("NFC", s).lower()
    return re.sub(r"\s+", " ", s).strip()


def unaccent(s: str) -> str:
    d = unicodedata.normalize("NFD", s)
    d = "".join(c for c in d if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", d.replace("œ", "oe").replace("æ", "ae"))


def read_list(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


class Vocab:
    def __init__(self, d: Path = VOCAB):
        self.names: dict[str, tuple[list[str], str]] = {}
        with open(d / "names.tsv", encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            assert header == ["name", "unii", "type", "source"], header
            for line in f:
                name, unii, typ, _src = line.rstrip("\n").split("\t")
                self.names[name] = (unii.split(";"), typ)
        self.subst: dict[str, dict] = {}
        self.by_rxcui: dict[str, str] = {}
        with open(d / "substances.tsv", encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                row = dict(zip(header, line.rstrip("\n").split("\t")))
                self.subst[row["key"]] = row
                for rx in filter(None, row["rxcui"].split(";")):
                    self.by_rxcui[rx] = row["key"]
        self.salts = set(read_list(d / "salts.txt"))
        forms = [norm(x) for x in read_list(d / "rxnorm_dose_forms.txt")]
        self.forms = sorted(set(forms), key=lambda x: (-len(x), x))

    def lookup(self, text: str) -> list[str] | None:
        """The normalised text, then its unaccented form (names.tsv has every accented name
        unaccented too, but the French thesaurus itself writes most names without accents, so
        "prégabaline" is found as "pregabaline")."""
        n = norm(text)
        hit = self.names.get(n) or self.names.get(unaccent(n))
        return hit[0] if hit else None

    def strip_ingredient(self, part: str) -> str:
        s = norm(part)
        # strength: "300 mg", "0.05 mg/ml", "2.5 %", "1000 unt/ml", "100 mcg/actuat"
        s = re.sub(r"\b\d+(?:[.,]\d+)?\s*(?:%|[a-z]+(?:/[a-z0-9.]+)*)(?=\s|$)", " ", s)
        s = re.sub(r"\s+", " ", s).strip()
        # release prefix "24 hr", "12 hr" (the number may already be gone)
        s = re.sub(r"^(?:\d+\s+)?hr\s+", "", s)
        s = re.sub(r"^(?:\d+\s+)?hr$", "", s)
        for f in self.forms:
            if s.endswith(" " + f):
                s = s[: -len(f) - 1].strip()
                break
            if s == f:
                return ""
        return s

    def resolve(self, text: str) -> tuple[list[str], list[str]]:
        """(UNIIs found, ingredient texts not found)."""
        whole = self.lookup(text)
        if whole:
            return sorted(set(whole)), []
        s = norm(text)
        found: list[str] = []
        missing: list[str] = []
        brand = re.search(r"\[([^\]]+)\]\s*$", s)
        if brand:
            s = s[: brand.start()].strip()
            b = self.lookup(brand.group(1))
            if b:
                found += b
        # "{2 (…) / 3 (…)} Pack" and similar pack syntax: drop braces and counts
        s = re.sub(r"[{}]", " ", s)
        s = re.sub(r"\bpack\b", " ", s)
        for part in re.split(r"\s+/\s+|\s+\(\s*|\s*\)\s*", s):
            part = part.strip()
            if not part or re.fullmatch(r"\d+", part):
                continue
            ing = self.strip_ingredient(part)
            if not ing:
                continue
            hit = self.lookup(ing)
            if not hit:
                words = ing.split()
                while len(words) > 1 and words[-1] in self.salts:
                    words = words[:-1]
                while len(words) > 1 and words[0] in self.salts:
                    words = words[1:]
                hit = self.lookup(" ".join(words))
            if hit:
                found += hit
            else:
                missing.append(ing)
        return sorted(set(found)), missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    args = ap.parse_args()
    v = Vocab()
    ok = True

    # common drugs
    common = read_list(DATA / "common_drugs.txt")
    miss = [c for c in common if not v.resolve(c)[0]]
    pct = 100.0 * (len(common) - len(miss)) / len(common)
    print(f"common_drugs.txt: {len(common) - len(miss)}/{len(common)} resolve ({pct:.1f} %, goal >= 99 %)")
    for m in miss:
        print(f"  not found: {m}")
    ok &= pct >= 99.0 and len(common) >= 330

    # not drugs
    nots = read_list(DATA / "not_drugs.txt")
    hits = [(w, v.resolve(w)[0]) for w in nots]
    hits = [(w, u) for w, u in hits if u]
    print(f"not_drugs.txt: {len(hits)}/{len(nots)} resolve (goal 0)")
    for w, u in hits:
        print(f"  resolves: {w} -> {';'.join(u)} ({', '.join(v.subst.get(x, {}).get('name', x) for x in u)})")
    ok &= not hits

    # carebundle patients
    pats = json.loads((DATA / "carebundle_patients.json").read_text(encoding="utf-8"))
    strings: dict[str, str] = {}
    for p in pats:
        for m in p["medications"]:
            strings[m["display"]] = m.get("rxcui", "")
    bad = {}
    for disp in sorted(strings):
        found, missing = v.resolve(disp)
        if missing or not found:
            bad[disp] = missing or ["(nothing)"]
        elif args.verbose:
            print(f"  {disp} -> {', '.join(v.subst.get(u, {}).get('name', u) for u in found)}")
    n = len(strings)
    pct = 100.0 * (n - len(bad)) / n if n else 0.0
    print(f"carebundle_patients.json: {n - len(bad)}/{n} distinct medication strings fully resolve "
          f"({pct:.1f} %, goal 100 %) across {len(pats)} patients")
    for d, m in bad.items():
        print(f"  unresolved in {d!r}: {', '.join(m)}")
    ok &= n > 0 and not bad
    # RxNorm strings with their expected substances
    path = DATA / "rxnorm_strings.tsv"
    if path.exists():
        lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")]
        wrong = []
        for line in lines[1:]:
            string, expected = line.split("\t")
            found, missing = v.resolve(string)
            got = sorted(v.subst.get(u, {}).get("name", u) for u in found)
            want = sorted(expected.split(";"))
            if got != want or missing:
                wrong.append((string, got, want, missing))
        n = len(lines) - 1
        print(f"rxnorm_strings.tsv: {n - len(wrong)}/{n} resolve to exactly the expected substances (goal 100 %)")
        for string, got, want, missing in wrong:
            print(f"  {string!r}: got {got}, want {want}" + (f", unresolved {missing}" if missing else ""))
        ok &= not wrong

    # RxCUIs: carebundle's medication strings' ingredients and its allergen ingredient codes
    # (RxNorm ingredient RxCUIs, NLM-authored) must agree with substances.tsv where both exist
    ingredient_codes = {"1191": "aspirin", "2670": "codeine", "5640": "ibuprofen",
                        "723": "amoxicillin", "10180": "sulfamethoxazole", "7980": "penicillin g"}
    bad_rx = []
    for rx, name in sorted(ingredient_codes.items()):
        u = v.by_rxcui.get(rx)
        if u is None or v.subst[u]["name"] != name:
            bad_rx.append(f"{rx} ({name}) -> {v.subst[u]['name'] if u else 'nothing'}")
    print(f"RxCUI spot check (carebundle's ingredient codes): {len(ingredient_codes) - len(bad_rx)}/{len(ingredient_codes)} agree")
    for b in bad_rx:
        print(f"  {b}")
    ok &= not bad_rx
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
