"""NLP benchmark: topic-flag quality against a keyword baseline, and speed and memory of the
full annotate step against a bare spaCy tokenizer and spaCy's stock pymorphy3 lemmatizer.

Not a test: it prints figures and PASS/FAIL against the targets, all measured in one run.
    python bench/nlp_speed.py [--docs 2000] [--corpus dev.jsonl] [--json OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import spacy

from kuzet.documents import NewDocument
from kuzet.store import Store

HERE = Path(__file__).resolve().parent
SEED, RUNS, TAIL_SHARE = 20240611, 2, 0.25
SHARES = (("ru", 0.5), ("kk", 0.25), ("en", 0.25))
TARGETS = {"macro": 0.90, "topic": 0.85, "kk": 0.80, "tok": 0.25, "lemma": 3.0, "mb": 600.0}
# Synthetic vocabulary (written for this benchmark): stop words and common word forms; made-up
# words (TAIL) make a quarter of the tokens. Topic phrases ("|"-separated; sogi, hate_crime,
# anti_discrimination split by ";") go into ~30% of the documents.
WORDS = {
    "ru": "и в не на что с по как это к из за о от для а но же так все его они уже при до или "
    "этот её мы их только может был была были будет году года закон закона суд суда депутаты "
    "проект проекта города районе случае документ парламент министр министерства активисты "
    "журналист запрет мажилис сенат кодекс штраф протест доклад митинг приговор иск страны нормы "
    "группы работы жалобы защиты школы поправки проверка газета правовые судебного публичной "
    "государственных социальной уголовного местные новых принимает сообщил обсуждали запрещено "
    "рассматривает человек людей жители области вопрос время компании граждан решение право "
    "статья полиции заявил сотрудники данным тенге Алматы Казахстана президент правительство "
    "экономики рынок цены 2023 2024 15 120 словам отметила также после более около",
    "kk": "және мен бен да де бұл сол үшін деп осы бір ол олар біз еді болды болады туралы бойынша "
    "арқылы қазір кейін дейін жылы заң заңы заңның сот сотқа депутаттар жобасы қаласы ауданы құжат "
    "парламент министр министрлігі белсенділер журналист тыйым мәжіліс сенат кодексі айыппұл "
    "наразылық баяндама үкім елдің норма тобы жұмыс шағым қорғау мектеп түзету тексеру газет "
    "құқықтық әкімшілік жергілікті жаңа қабылдады хабарлады талқылады адамдар тұрғындар облысы "
    "мәселе уақыт компания азаматтар шешімі құқығы бабы полициясы мәлімдеді қызметкерлер теңге "
    "Алматы Қазақстан президент үкімет экономика нарық баға 2023 2024 15 120 сондай-ақ шамамен",
    "en": "the of and to in a is that for on with as was by it at from be this are or has have "
    "not an which law court right government police report minister bill parliament country "
    "people community activist group case protest state public city ban propaganda violence "
    "crime judge school family said says year new local social criminal draft amendments fines "
    "complaint rights citizens decision article officers data tenge Almaty Kazakhstan president "
    "economy market prices 2023 2024 15 120 according noted also after more about region time",
}
TOPIC_PHRASES = {
    "ru": "ЛГБТ-активисты|пропаганда нетрадиционных сексуальных отношений|однополые браки|права "
    "геев и лесбиянок|трансгендерные люди;возбуждение социальной, национальной розни|статье 174 "
    "Уголовного кодекса|преступления на почве ненависти|погром;дискриминация по признаку пола|"
    "равные права и возможности|запрет дискриминации|дискриминации по возрасту",
    "kk": "ЛГБТ қауымдастығы|жыныстық бағдар|бір жынысты некелер|ЛГБТ насихаты;ұлттық алауыздықты "
    "қоздыру|Қылмыстық кодекстің 174-бабы|әлеуметтік өшпенділік|нәсілдік араздық;кемсітушілікке "
    "жол берілмейді|гендерлік теңдік|тең құқықтар мен мүмкіндіктер|жынысы бойынша кемсіту",
    "en": "LGBT rights|same-sex couples|sexual orientation and gender identity|transgender people;"
    "hate crimes|incitement of ethnic hatred|racist attacks|bias-motivated violence;"
    "discrimination on grounds of sex|equal rights and opportunities|anti-discrimination law",
}
TAIL = {  # made-up words: consonants, vowels, endings
    "ru": ("бвгджзклмнпрстх", "аеиоуя", "|а|ы|ой|ом|ами|ого|ая|ать|ает|али|ение|ости"),
    "kk": ("бғджзқлмнпрстш", "аеоұүыіә", "|лар|дар|тер|ның|нің|ға|ге|да|ды|ы|сы|мен|тың"),
    "en": ("bcdfghlmnprstvw", "aeiou", "|s|ed|ing|er|tion|ment|ly|al"),
}


def vocabulary(lang: str) -> tuple[list[str], list[float]]:
    """Word forms, common ones first, and cumulative weights: Zipf over the common forms
    (1 - TAIL_SHARE of the mass) and over ~6000 made-up forms (TAIL_SHARE)."""
    rng, (cons, vowels, ends) = random.Random(f"{SEED}:vocab:{lang}"), TAIL[lang]
    common = list(dict.fromkeys(WORDS[lang].split()))
    made_up = (
        "".join(rng.choice(cons) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        + rng.choice(ends.split("|"))
        for _ in range(6000)
    )
    tail = [w for w in dict.fromkeys(made_up) if w not in common]
    weights = []
    for words, mass in ((common, 1 - TAIL_SHARE), (tail, TAIL_SHARE)):
        zipf = [1.0 / (r + 2.7) for r in range(1, len(words) + 1)]
        weights += [w * mass / sum(zipf) for w in zipf]
    return common + tail, list(itertools.accumulate(weights))


def groups(rng: random.Random, items: list[str], lo: int, hi: int, sep: str) -> list[str]:
    """`items` joined with `sep` in consecutive runs of lo..hi items."""
    out, pos = [], 0
    while pos < len(items):
        out.append(sep.join(items[pos : (pos := pos + rng.randint(lo, hi))]))
    return out


def make_docs(n: int) -> list[NewDocument]:
    """n documents of 300-600 words (ru 50%, kk 25%, en 25%); ~30% carry topic phrases."""
    rng, vocab = random.Random(f"{SEED}:docs"), {lang: vocabulary(lang) for lang, _ in SHARES}
    docs = []
    for i in range(n):
        lang = rng.choices([s[0] for s in SHARES], [s[1] for s in SHARES])[0]
        forms, cum = vocab[lang]
        words = rng.choices(forms, cum_weights=cum, k=rng.randint(300, 600))
        if rng.random() < 0.3:
            phrases = rng.choice(TOPIC_PHRASES[lang].split(";")).split("|")
            for phrase in rng.choices(phrases, k=rng.randint(1, 4)):
                pos = rng.randrange(len(words))
                words[pos : pos + len(phrase.split())] = phrase.split()
        words = [w + "," if rng.random() < 0.07 else w for w in words]
        sentences = [s[0].upper() + s[1:].rstrip(",") + "." for s in groups(rng, words, 6, 18, " ")]
        text = "\n\n".join(groups(rng, sentences, 3, 7, " "))
        title = " ".join(rng.choices(forms[:150], k=rng.randint(5, 9))).capitalize()
        url = f"https://bench.example/{lang}/{i}"
        docs.append(NewDocument(url, text, f"bench-{lang}", title=title, lang=lang))
    return docs


def best_rate(texts: list[str], tokens: int, run: Callable[[str], object]) -> float:
    """Tokens/s of `run` over `texts`, best of RUNS passes, after an untimed warm-up."""
    for text in texts[:5]:
        run(text)
    best = float("inf")
    for _ in range(RUNS):
        t = time.perf_counter()
        for text in texts:
            run(text)
        best = min(best, time.perf_counter() - t)
    return tokens / best


def annotate_worker(db: str) -> None:
    """Child process: warm up the pipelines, then time kuzet.annotate.annotate on `db`."""
    from kuzet.annotate import annotate
    from nlp.pipeline import analyze

    for i, (lang, _share) in enumerate(SHARES):  # loads dictionaries and rules
        analyze(" ".join(vocabulary(lang)[0][i * 50 : i * 50 + 300]), lang)
    with Store.open(db, create=False) as store:
        t = time.perf_counter()
        report = annotate(store)
        seconds = time.perf_counter() - t
    # ru_maxrss survives exec (Linux), so a child would report the parent's peak if larger:
    # VmHWM is this process's own high-water mark
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path("/proc/self/status")
    hwm = re.search(r"VmHWM:\s*(\d+)", status.read_text()) if status.exists() else None
    peak = int(hwm.group(1)) / 1024 if hwm else rss
    print(json.dumps({"seconds": seconds, "docs": report.annotated, "peak_rss_mb": peak}))


def time_annotate(docs: list[NewDocument], workdir: Path, name: str) -> dict[str, Any]:
    """Load `docs` into a fresh database, then run the annotate worker RUNS times on copies."""
    master = workdir / f"{name}.db"
    with Store.open(master) as store:
        store.upsert_documents(docs)
    runs = []
    for i in range(RUNS):
        shutil.copyfile(master, copy := workdir / f"{name}-{i}.db")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(copy)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return best | {"peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs": runs}


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


def speed(n: int) -> dict[str, Any]:
    """Annotate step, bare tokenizers, stock pymorphy3 lemmatizer and our pipeline (ru)."""
    import nlp.kazakh  # noqa: F401 - registers spacy.blank("kk")
    from nlp.pipeline import analyze

    docs = make_docs(n)
    by_lang = {lang: [d for d in docs if d.lang == lang] for lang, _ in SHARES}
    tokenizers = {lang: spacy.blank(lang) for lang in by_lang}
    # the string the annotate step analyses: title, blank line, text
    texts = {lang: [f"{d.title}\n\n{d.text}" for d in ds] for lang, ds in by_lang.items()}
    tokens = {lang: sum(len(tokenizers[lang](t)) for t in ts) for lang, ts in texts.items()}
    total = sum(tokens.values())
    words = sum(len(d.text.split()) for d in docs)
    r: dict[str, Any] = {"docs": n, "tokens": tokens, "words": words}
    # the bare tokenizer's rate over all texts: total tokens / summed best time per language
    r["tokenizer"] = total / sum(
        tokens[lang] / best_rate(texts[lang], tokens[lang], tokenizers[lang]) for lang in texts
    )
    stock = spacy.blank("ru")
    stock.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    stock.initialize()
    r["stock_ru"] = best_rate(texts["ru"], tokens["ru"], stock)
    r["ours_ru_analyze"] = best_rate(texts["ru"], tokens["ru"], lambda t: analyze(t, "ru"))
    with tempfile.TemporaryDirectory(prefix="kuzet-bench-nlp-") as tmp:
        r["annotate"] = time_annotate(docs, Path(tmp), "all")
        r["annotate_ru"] = time_annotate(by_lang["ru"], Path(tmp), "ru")
    r["annotate"]["tokens_per_s"] = total / r["annotate"]["seconds"]
    r["annotate_ru"]["tokens_per_s"] = tokens["ru"] / r["annotate_ru"]["seconds"]
    return r


def report_speed(r: dict[str, Any], main_rss: float) -> None:
    a, a_ru, t = r["annotate"], r["annotate_ru"], TARGETS
    tok, lem = a["tokens_per_s"] / r["tokenizer"], a_ru["tokens_per_s"] / r["stock_ru"]
    a_mb, mb = a["peak_rss_mb"], t["mb"]
    print(f"\n== speed: {r['docs']} generated docs, {r['words']:,} words, tokens {r['tokens']} ==")
    rows = [
        ("annotate step, all (docs/s)", f"{a['docs'] / a['seconds']:,.1f}", None),
        ("annotate step, all (tokens/s)", f"{a['tokens_per_s']:,.0f}", None),
        ("annotate step, ru docs only (tokens/s)", f"{a_ru['tokens_per_s']:,.0f}", None),
        ("bare spaCy tokenizer, all (tokens/s)", f"{r['tokenizer']:,.0f}", None),
        ("stock pymorphy3 lemmatizer, ru (tokens/s)", f"{r['stock_ru']:,.0f}", None),
        ("our analyze(), ru, warm cache (tokens/s)", f"{r['ours_ru_analyze']:,.0f}", None),
        ("annotate / bare tokenizer (all)", f"{tok:.3f} >= {t['tok']}", tok >= t["tok"]),
        ("annotate (ru) / stock lemmatizer (ru)", f"{lem:.2f}x >= {t['lemma']}", lem >= t["lemma"]),
        ("peak RSS, annotate process (MB)", f"{a_mb:,.0f}  <= {mb:.0f}", a_mb <= mb),
        ("peak RSS, benchmark process (MB)", f"{main_rss:,.0f}  <= {mb:.0f}", main_rss <= mb),
    ]
    for label, value, ok in rows:
        print(f"{label:<44}{value:>24}" + ("" if ok is None else " PASS" if ok else " FAIL"))
    print(f"(best of {RUNS} runs each; annotate runs in fresh child processes after a warm-up)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    corpus = HERE.parents[1] / "shared" / "corpus" / "dev.jsonl"
    ap.add_argument("--corpus", type=Path, default=corpus)
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return annotate_worker(args.worker)
    t0 = time.perf_counter()
    results: dict[str, Any] = {"quality": quality(args.corpus), "speed": speed(args.docs)}
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report_speed(results["speed"], results["peak_rss_mb"])
    print(f"total run time: {time.perf_counter() - t0:,.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
