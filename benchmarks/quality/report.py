"""The benchmark's two tables (cut F1 per property; every metric with baseline and target)
and their section in benchmarks/RESULTS.md."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"
SECTION = "## Quality on the hard evaluation set (issue 10)"


def _f(v, digits=3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def property_rows(tallies: dict) -> list[list[str]]:
    dets = list(tallies)
    keys = sorted({k for t in tallies.values() for k in t.keys()}, key=lambda k: (k != "all", k))
    rows = [["property", "transitions", *dets]]
    first = tallies[dets[0]]
    for key in keys:
        n = first.tp[key] + first.fn[key]
        cells = []
        for d in dets:
            r = tallies[d].row(key)
            cells.append(f"{_f(r['f1'], 2)} ({r['tp']}/{n}, {r['fp']} false)")
        rows.append([key, str(n), *cells])
    return rows


def _ratio(num: int, den: int):
    return num / den if den else None


def _sum(seasons, path, field):
    total = 0
    for s in seasons:
        v = s
        for p in path:
            v = v[p]
        total += v.get(field) or 0
    return total


def metric_rows(tallies: dict, seasons: list[dict]) -> list[list[str]]:
    rows = [["metric", "celvault", "baseline", "target"]]
    base = {d: t.f1() for d, t in tallies.items()}
    rows.append(["cut F1 overall (2-frame tolerance)",
                 ", ".join(f"{d}: {_f(v, 3)}" for d, v in base.items() if d.startswith("celvault")),
                 ", ".join(f"{d}: {_f(v, 3)}" for d, v in base.items() if not d.startswith("celvault")),
                 ">= 0.95"])
    for tag, label in (("dup", "duplicate-link precision"), ("opening", "shared-opening recall")):
        if tag == "dup":
            ok = [_sum(seasons, [k], "links") - _sum(seasons, [k], "wrong") for k in ("dup", "dup_exact")]
            den = [_sum(seasons, [k], "links") for k in ("dup", "dup_exact")]
        else:
            ok = [_sum(seasons, [k], "found") for k in ("opening", "opening_exact")]
            den = [_sum(seasons, [k], "frames") for k in ("opening", "opening_exact")]
        rows.append([label, f"{_f(_ratio(ok[0], den[0]))} ({ok[0]}/{den[0]})",
                     f"exact pHash: {_f(_ratio(ok[1], den[1]))} ({ok[1]}/{den[1]})",
                     ">= 0.99" if tag == "dup" else ">= 0.9"])
    labels: dict[str, int] = {}
    for s in seasons:
        for k, v in s["layers"]["labels"].items():
            labels[k] = labels.get(k, 0) + v
    n = sum(labels.values())
    junk = labels.get("(not a character)", 0)
    rows.append(["character-layer precision (plate)", f"{_f(_ratio(n - junk, n))} ({n - junk}/{n})", "-", ">= 0.95"])
    found, pairs = _sum(seasons, ["layers"], "found"), _sum(seasons, ["layers"], "pairs")
    rows.append(["(frame, character) recall, static shots with movers", f"{_f(_ratio(found, pairs))} ({found}/{pairs})",
                 "-", ">= 0.9"])
    cov, stat = _sum(seasons, ["layers"], "covered"), _sum(seasons, ["layers"], "static_frames")
    skips: dict[str, int] = {}
    for s in seasons:
        for k, v in s["layers"]["skips"].items():
            skips[k] = skips.get(k, 0) + v
    wrong_moving = sum(v for k, v in skips.items() if k.startswith("static") and "moving camera" in k)
    rows.append(["plate coverage of static-shot frames", f"{_f(_ratio(cov, stat))} ({cov}/{stat}); "
                 f"'moving camera' in static shots: {wrong_moving}", "-", ">= 0.9; only where the camera moved"])
    for key, label in (("iou", "mask IoU (segmented frames)"), ("bg_error", "background error under characters (0-255)")):
        def mean(k):
            vals = [(s[k][key], s[k]["frames" if key == "iou" else "bg_frames"]) for s in seasons if s[k][key] is not None]
            w = sum(c for _, c in vals)
            return sum(v * c for v, c in vals) / w if w else None
        rows.append([label, f"plate: {_f(mean('masks_plate'), 3 if key == 'iou' else 1)}",
                     f"TELEA: {_f(mean('masks_telea'), 3 if key == 'iou' else 1)}", "as today or better"])
    aris = [s["identities"].get("ari") for s in seasons if s["identities"].get("ari") is not None]
    assigned = [s["identities"].get("assigned") for s in seasons if s["identities"].get("assigned") is not None]
    junk_ids = sum(len(s["identities"].get("not_character", [])) for s in seasons)
    ids = sum(s["identities"].get("identities", 0) for s in seasons)
    rows.append(["identities: ARI (mean, min over seasons)",
                 f"{_f(sum(aris) / len(aris) if aris else None)}, {_f(min(aris) if aris else None)}", "-", ">= 0.9"])
    rows.append(["identities: assigned share (mean)", _f(sum(assigned) / len(assigned) if assigned else None), "-",
                 ">= 0.85"])
    rows.append(["identities that are not a character", f"{junk_ids} of {ids}", "-", "0"])
    right = sum(c["right"] for s in seasons for c in s["query"]["characters"].values())
    ret = sum(c["returned"] for s in seasons for c in s["query"]["characters"].values())
    hit = sum(c["found"] for s in seasons for c in s["query"]["characters"].values())
    rel = sum(c["relevant"] for s in seasons for c in s["query"]["characters"].values())
    rows.append(["'X outdoors' query precision", f"{_f(_ratio(right, ret))} ({right}/{ret})", "-", "1.0"])
    rows.append(["'X outdoors' query recall (frames where X was cut cleanly)", f"{_f(_ratio(hit, rel))} ({hit}/{rel})",
                 "-", ">= 0.9"])
    return rows


def _markdown(rows: list[list[str]]) -> str:
    head, body = rows[0], rows[1:]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in body]
    return "\n".join(out)


def record(context: str, cuts: list[list[str]], metrics: list[list[str]]) -> None:
    import sys

    cmd = " ".join(["python", "benchmarks/bench_quality.py", *sys.argv[1:]])
    text = (f"{SECTION}\n\n`{cmd}` ({context})\n\n### Every metric\n\n{_markdown(metrics)}\n\n"
            f"### Cut F1 per property (F1 (found/transitions, false cuts blamed on the property))\n\n"
            f"{_markdown(cuts)}\n")
    old = RESULTS.read_text()
    pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
    new = pattern.sub(lambda _: text.rstrip("\n") + "\n", old) if SECTION in old else old.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(new)
    print(f"recorded in {RESULTS}")
