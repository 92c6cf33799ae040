"""NLP benchmark: topic-flag quality against a keyword baseline, and speed and memory of the
full annotate step against spaCy's bare tokenizer and spaCy's stock pymorphy3 lemmatizer.

Not a test: it prints figures and PASS/FAIL against the targets, all measured in one run.
    python bench/nlp_speed.py [--docs 2000] [--corpus dev.jsonl] [--workers 2] [--runs 3]
                              [--json OUT]

The texts (`bench/nlp_texts.py`) are generated at run time from a word-frequency model of the
dev corpus, so that their vocabulary is as large and varied as real news of that size: new
word forms keep coming, which costs the tokenizer (a new lexeme each) and our normaliser (a
new lemma each) alike. `python bench/nlp_texts.py` compares them with the corpus.

How each figure is measured (single process unless said otherwise; every measurement runs once
in each of RUNS rounds, `--runs`, and the best round counts, so that a busy spell on a shared
machine falls on all of them alike):

- *annotate step*: `kuzet.annotate.annotate` on a fresh copy of a database holding the
  documents (read, analyse, store lemmas, flags, evidence, legal references), in a child
  process whose pipelines were loaded and run on a short text first. "First sight": the
  process has not seen the texts (as in production, where each document is annotated once);
  "seen before": the same process then annotates a second copy (caches warm).
- *bare tokenizer*: `spacy.blank(lang)` (`nlp.make_doc` in a loop) over exactly the texts the
  annotate step analyses (title, blank line, text), per language. "First sight": a fresh
  tokenizer, warmed on a short text; "seen before": the same tokenizer on a second pass, when
  its cache holds every chunk of the texts.
- *stock lemmatizer*: `spacy.blank("ru")` with spaCy's `lemmatizer` in `pymorphy3` mode, fresh,
  over the Russian texts, against the annotate step on a database of the Russian documents.
- *where the time goes*: `bench/nlp_parts.py` annotates a copy of the Russian documents once
  more with a timer around each part (CPU time), printed per token beside the budget the 3x
  target leaves.
- *worker processes*: the annotate step with `workers` processes (`kuzet annotate --workers`),
  against the same single-process tokenizer. Each worker meets every new word form itself,
  so the gain is well short of `workers`-fold. Memory is then the peak of the summed
  proportional set size (PSS) of all processes, sampled every 0.2 s (shared pages counted
  once), with the peak of their summed RSS as an upper bound.

The 0.25 target is judged on like against like: both first sight, and both seen before. The
strictest pairing (annotate on first sight against the tokenizer's repeat pass) is printed too.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import runpy
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import spacy

from kuzet.store import Store

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import nlp_texts  # noqa: E402 - bench/ is not a package

RUNS = 3
LANGS = ("ru", "kk", "en")
TARGETS = {"macro": 0.90, "topic": 0.85, "kk": 0.80, "tok": 0.25, "lemma": 3.0, "mb": 600.0}
WARM_UP = "Депутаты Мажилиса одобрили закон. Мәжіліс заңды қабылдады. The bill passed."


def texts_of(docs: list[Any]) -> list[str]:
    """The strings the annotate step analyses: title, blank line, text."""
    return [f"{d.title}\n\n{d.text}" if d.title else d.text for d in docs]


class Clock:
    """Wall-clock and CPU seconds of a stretch of code (CPU time is less disturbed when the
    machine is shared; both are reported)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def seconds(self) -> dict[str, float]:
        return {"wall": self.wall, "cpu": self.cpu}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The best (least) wall-clock and CPU seconds over runs."""
    return {key: min(r[key] for r in runs) for key in runs[0]}


def tokenizer_passes(lang: str, texts: list[str]) -> list[dict[str, float]]:
    """A fresh bare tokenizer over `texts`: first pass, then a second pass (cache primed)."""
    nlp = spacy.blank(lang)
    nlp.make_doc(WARM_UP)
    passes = []
    for _ in range(2):
        with Clock() as clock:
            for text in texts:
                nlp.make_doc(text)
        passes.append(clock.seconds())
    return passes


def stock_pass(texts: list[str]) -> dict[str, float]:
    """A fresh spaCy pipeline with the stock pymorphy3 lemmatizer over `texts`."""
    stock = spacy.blank("ru")
    stock.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    stock.initialize()
    stock(WARM_UP)
    with Clock() as clock:
        for text in texts:
            stock(text)
    return clock.seconds()


def _status_kb(pid: int | str, field: str, name: str = "status") -> int:
    try:
        text = Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s*(\d+)", text, re.M)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


class MemorySampler(threading.Thread):
    """Peaks of the summed PSS and of the summed RSS of a process and its children (the
    processes alive at the time), every 0.2 s. Run in the benchmark process, so that the
    measured ones fork without extra threads."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.peak_pss_sum = self.peak_rss_sum = 0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            pids = [self.pid, *_children(self.pid)]
            pss = sum(_status_kb(pid, "Pss", "smaps_rollup") for pid in pids)
            rss = sum(_status_kb(pid, "VmRSS") for pid in pids)
            self.peak_pss_sum = max(self.peak_pss_sum, pss)
            self.peak_rss_sum = max(self.peak_rss_sum, rss)


def annotate_worker(dbs: list[str], workers: int) -> None:
    """Child process: load the pipelines, then time kuzet.annotate.annotate on each database
    in turn (a second copy of the same documents measures the "seen before" case)."""
    from kuzet.annotate import annotate
    from nlp.pipeline import analyze, warm_up

    warm_up()
    analyze(WARM_UP)
    seconds = []
    for db in dbs:
        with Store.open(db, create=False) as store, Clock() as clock:
            report = annotate(store, workers=workers)
        # with worker processes, CPU time here leaves theirs out: wall clock only
        seconds.append(clock.seconds() if workers == 1 else {"wall": clock.wall})
    # VmHWM is this process's own high-water mark (ru_maxrss would survive exec from the
    # parent, and a forked worker starts from its parent's)
    hwm = _status_kb("self", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"seconds": seconds, "docs": report.annotated, "workers": workers, "hwm": hwm})
    )


def _run_worker(cmd: list[str]) -> dict[str, Any]:
    """Run one annotate worker, sampling the memory of it and its children."""
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    sampler = MemorySampler(child.pid)
    sampler.start()
    out, _err = child.communicate()
    sampler.stop.set()
    sampler.join()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, cmd, out)
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = result["hwm"] / 1024
    result["peak_rss_sum_mb"] = max(result["hwm"], sampler.peak_rss_sum) / 1024
    result["peak_pss_sum_mb"] = sampler.peak_pss_sum / 1024
    return result


def annotate_run(master: Path, *, workers: int = 1, repeat: bool = False) -> dict[str, Any]:
    """One annotate worker run on fresh copies of the database `master` (two with `repeat`)."""
    copies = []
    for j in range(2 if repeat else 1):
        shutil.copyfile(master, copy := master.with_name(f"{master.stem}-{j}.db"))
        copies.append(str(copy))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *copies]
    result = _run_worker([*cmd, "--workers", str(workers)])
    for copy in copies:
        Path(copy).unlink()
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best times and highest memory over the runs of one annotate measurement."""
    result = {"first": best([r["seconds"][0] for r in runs]), "docs": runs[0]["docs"], "runs": runs}
    if len(runs[0]["seconds"]) > 1:
        result["seen"] = best([r["seconds"][1] for r in runs])
    for key in ("peak_rss_mb", "peak_rss_sum_mb", "peak_pss_sum_mb"):
        result[key] = max(r[key] for r in runs)
    return result


def quality(corpus: Path) -> dict[str, Any] | None:
    """Our classifier and the keyword baseline on a labelled corpus, with PASS/FAIL."""
    if not corpus.is_file():
        print(f"\n== quality: SKIPPED, corpus {corpus} not found ==")
        return None
    from kuzet.evaluate import Report, evaluate

    ours = evaluate(corpus).summary()
    base = Report(*runpy.run_path(str(HERE / "baseline.py"))["score"](corpus)).summary()
    print(f"\n== quality on {corpus} ({ours['n']} items): F1, ours vs keyword baseline ==")
    rows = [(t, ours["topics"][t]["f1"], base["topics"][t]["f1"], "topic") for t in ours["topics"]]
    rows.append(("macro-F1", ours["macro_f1"], base["macro_f1"], "macro"))
    for lang in ("kk", "ru", "en"):
        o, b = (x["by_lang"].get(lang, {}).get("macro_f1", 0.0) for x in (ours, base))
        rows.append((f"{lang} macro-F1", o, b, "kk" if lang == "kk" else ""))
    print(f"{'':<24}{'ours':>8}{'baseline':>10}  target")
    for label, f1, b, target in rows:
        goal = TARGETS.get(target)
        verdict = "" if goal is None else f">= {goal:.2f} {'PASS' if f1 >= goal else 'FAIL'}"
        print(f"{label:<24}{f1:>8.3f}{b:>10.3f}  {verdict}")
    return {"ours": ours, "baseline": base}


def speed(n: int, corpus: Path, workers: int) -> dict[str, Any]:
    """The annotate step, the bare tokenizers and the stock lemmatizer on the same texts;
    `rates` holds tokens/s by wall clock and by CPU time for each measurement."""
    import nlp.kazakh  # noqa: F401 - registers spacy.blank("kk")

    with Clock() as clock:
        docs = nlp_texts.make_docs(n, corpus)
    by_lang = {lang: [d for d in docs if d.lang == lang] for lang in LANGS}
    texts = {lang: texts_of(ds) for lang, ds in by_lang.items()}
    counter = {lang: spacy.blank(lang) for lang in LANGS}
    tokens = {lang: sum(len(counter[lang].make_doc(x)) for x in ts) for lang, ts in texts.items()}
    del counter
    total = sum(tokens.values())
    r: dict[str, Any] = {"docs": n, "tokens": tokens, "generated_s": clock.wall}
    r["words"] = sum(len(d.text.split()) for d in docs)
    tok: dict[str, list[list[dict[str, float]]]] = {lang: [] for lang in LANGS}
    stock: list[dict[str, float]] = []
    annotating: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="kuzet-bench-nlp-") as tmp:
        masters = {"all": Path(tmp) / "all.db", "ru": Path(tmp) / "ru.db"}
        for name, subset in (("all", docs), ("ru", by_lang["ru"])):
            with Store.open(masters[name]) as store:
                store.upsert_documents(subset)
        cases = {
            "annotate": (masters["all"], 1, True),
            "annotate_ru": (masters["ru"], 1, False),
        }
        if workers > 1:
            cases |= {"parallel": (masters["all"], workers, False)}
            cases |= {"parallel_ru": (masters["ru"], workers, False)}
        for _round in range(RUNS):
            for lang in LANGS:
                tok[lang].append(tokenizer_passes(lang, texts[lang]))
            stock.append(stock_pass(texts["ru"]))
            for case, (master, n_workers, repeat) in cases.items():
                run = annotate_run(master, workers=n_workers, repeat=repeat)
                annotating.setdefault(case, []).append(run)
        shutil.copyfile(masters["ru"], parts_db := Path(tmp) / "parts.db")
        parts = subprocess.run(
            [sys.executable, str(HERE / "nlp_parts.py"), str(parts_db)],
            check=True,
            capture_output=True,
            text=True,
        )
        r["parts_ru"] = json.loads(parts.stdout.strip().splitlines()[-1])
    seconds: dict[str, dict[str, float]] = {}
    for index, case in enumerate(("tokenizer_first", "tokenizer_seen")):
        per_lang = [best([run[index] for run in tok[lang]]) for lang in LANGS]
        seconds[case] = {key: sum(s[key] for s in per_lang) for key in ("wall", "cpu")}
    seconds["stock_ru"] = best(stock)
    for case, runs in annotating.items():
        r[case] = summary(runs)
    seconds["annotate_first"] = r["annotate"]["first"]
    seconds["annotate_seen"] = r["annotate"]["seen"]
    seconds["annotate_ru"] = r["annotate_ru"]["first"]
    if workers > 1:
        seconds["parallel"] = r["parallel"]["first"]
        seconds["parallel_ru"] = r["parallel_ru"]["first"]
    r["rates"] = {
        case: {
            key: (tokens["ru"] if case.endswith("_ru") else total) / sec for key, sec in s.items()
        }
        for case, s in seconds.items()
    }
    return r


def report_speed(r: dict[str, Any], main_rss: float) -> None:
    """Print the speed figures, each ratio with its target and PASS/FAIL (wall clock, and CPU
    time where it means something)."""
    rates, t, tokens = r["rates"], TARGETS, r["tokens"]
    print(
        f"\n== speed: {r['docs']} generated docs, {r['words']:,} words, "
        f"{sum(tokens.values()):,} tokens {tokens} =="
    )
    print(f"{'':<54}{'wall clock':>20}{'CPU time':>20}")

    def cell(value: float | None, fmt: str, goal: float | None, most: bool) -> str:
        if value is None:
            return f"{'-':>20}"
        text = f"{value:{fmt}}"
        if goal is not None:
            ok = value <= goal if most else value >= goal
            text += " PASS" if ok else " FAIL"
        return f"{text:>20}"

    def row(
        label: str,
        values: tuple[float | None, ...],
        fmt: str,
        goal: float | None = None,
        most: bool = False,
    ) -> None:
        target = "" if goal is None else f"  ({'<=' if most else '>='} {goal:g})"
        print(f"{label:<54}" + "".join(cell(v, fmt, goal, most) for v in values) + target)

    def rate(case: str) -> tuple[float | None, float | None]:
        return rates[case]["wall"], rates[case].get("cpu")

    def ratio(top: str, bottom: str) -> tuple[float | None, ...]:
        return tuple(
            None if a is None or b is None else a / b
            for a, b in zip(rate(top), rate(bottom), strict=True)
        )

    a = r["annotate"]
    row(
        "annotate step, 1 process, first sight (docs/s)",
        (r["docs"] / a["first"]["wall"], r["docs"] / a["first"]["cpu"]),
        ",.1f",
    )
    row("annotate step, 1 process, first sight (tokens/s)", rate("annotate_first"), ",.0f")
    row("annotate step, 1 process, seen before (tokens/s)", rate("annotate_seen"), ",.0f")
    row("annotate step, ru docs only, first sight (tokens/s)", rate("annotate_ru"), ",.0f")
    row("bare spaCy tokenizer, first sight (tokens/s)", rate("tokenizer_first"), ",.0f")
    row("bare spaCy tokenizer, seen before (tokens/s)", rate("tokenizer_seen"), ",.0f")
    row("stock pymorphy3 lemmatizer, ru, first sight (tokens/s)", rate("stock_ru"), ",.0f")
    row(
        "annotate / tokenizer, both first sight",
        ratio("annotate_first", "tokenizer_first"),
        ".3f",
        t["tok"],
    )
    row(
        "annotate / tokenizer, both seen before",
        ratio("annotate_seen", "tokenizer_seen"),
        ".3f",
        t["tok"],
    )
    row(
        "annotate first sight / tokenizer seen before",
        ratio("annotate_first", "tokenizer_seen"),
        ".3f",
        t["tok"],
    )
    row(
        "annotate (ru) / stock lemmatizer (ru)", ratio("annotate_ru", "stock_ru"), ".2f", t["lemma"]
    )
    row("peak RSS, annotate process (MB)", (a["peak_rss_mb"],), ",.0f", t["mb"], most=True)
    if "parallel" in r:
        p = r["parallel"]
        w = p["runs"][0]["workers"]
        row(
            f"annotate step, {w} workers, first sight (docs/s)",
            (r["docs"] / p["first"]["wall"], None),
            ",.1f",
        )
        row(f"annotate step, {w} workers, first sight (tokens/s)", rate("parallel"), ",.0f")
        row(
            f"annotate ({w} workers) / tokenizer, first sight",
            ratio("parallel", "tokenizer_first"),
            ".3f",
            t["tok"],
        )
        row(
            f"annotate ({w} workers) first sight / tokenizer seen",
            ratio("parallel", "tokenizer_seen"),
            ".3f",
            t["tok"],
        )
        row(
            f"annotate (ru, {w} workers) / stock lemmatizer",
            ratio("parallel_ru", "stock_ru"),
            ".2f",
            t["lemma"],
        )
        row(
            f"peak PSS, {w} workers + parent, summed (MB)",
            (p["peak_pss_sum_mb"],),
            ",.0f",
            t["mb"],
            most=True,
        )
        row("peak RSS, the same, summed (MB, an upper bound)", (p["peak_rss_sum_mb"],), ",.0f")
    row("peak RSS, benchmark process (MB)", (main_rss,), ",.0f", t["mb"], most=True)
    print(f"(best of {RUNS} runs each; texts generated in {r['generated_s']:.0f} s)")
    report_parts(r)


def report_parts(r: dict[str, Any]) -> None:
    """Where the time of the Russian annotate step goes, per token, against the budget the
    3x target leaves (one run of bench/nlp_parts.py, CPU time)."""
    parts, tokens = r["parts_ru"], r["tokens"]["ru"]
    budget = 1e6 / (TARGETS["lemma"] * r["rates"]["stock_ru"]["cpu"])
    print(
        f"\n== where the time goes: ru documents, 1 process, first sight "
        f"(CPU us per token; {TARGETS['lemma']:g}x the stock lemmatizer leaves {budget:.2f}) =="
    )
    named = sorted(parts["parts"].items(), key=lambda kv: -kv[1])
    for name, seconds in [*named, ("other", parts["total"] - sum(parts["parts"].values()))]:
        print(f"{name:<54}{seconds / tokens * 1e6:>20.2f}")
    print(f"{'total (timers add a little to each part)':<54}{parts['total'] / tokens * 1e6:>20.2f}")


def main() -> None:
    global RUNS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    corpus = HERE.parents[1] / "shared" / "corpus" / "dev.jsonl"
    ap.add_argument("--corpus", type=Path, default=corpus)
    ap.add_argument("--workers", type=int, default=2, help="worker processes for the parallel run")
    ap.add_argument("--runs", type=int, default=RUNS, help="rounds of measurements (best counts)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return annotate_worker(args.worker, args.workers)
    if not args.corpus.is_file():
        sys.exit(f"{args.corpus}: not found; the benchmark texts are modelled on it (--corpus)")
    RUNS = args.runs
    t0 = time.perf_counter()
    quality_results = quality(args.corpus)
    results = {"quality": quality_results, "speed": speed(args.docs, args.corpus, args.workers)}
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report_speed(results["speed"], results["peak_rss_mb"])
    print(f"total run time: {time.perf_counter() - t0:,.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
