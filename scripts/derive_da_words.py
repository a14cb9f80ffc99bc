"""Derive the Danish word-frequency table the linker splits compounds with.

    .venv/bin/pip install wordfreq   # only to re-derive; the product reads the committed table
    .venv/bin/python scripts/derive_da_words.py [--out FILE] [--min-zipf 1.5]

Writes `services/matcher/data/da_words.json.gz`: every word of wordfreq's Danish list (letters
only, at least two of them) with its Zipf frequency rounded to one decimal. The linker reads it to
split a compound into known words ("lagererfaring" → lager + erfaring); run time does not need
wordfreq. The data comes from wordfreq (Robyn Speer, data CC BY-SA 4.0): see NOTICE.
Output is deterministic gzip JSON (sorted keys, mtime 0).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "services" / "matcher" / "data" / "da_words.json.gz"
ABOUT = (
    "Danish word frequencies (Zipf scale) from wordfreq by Robyn Speer and contributors, "
    "data licensed CC BY-SA 4.0; derived by scripts/derive_da_words.py. Used only to split "
    "Danish compounds when linking skills."
)


def derive(min_zipf: float) -> dict[str, object]:
    try:
        from wordfreq import top_n_list, zipf_frequency
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise SystemExit("wordfreq is needed to re-derive the table: pip install wordfreq") from exc
    words: dict[str, float] = {}
    for word in top_n_list("da", 100_000):
        if len(word) < 2 or not word.isalpha():
            continue
        zipf = round(zipf_frequency(word, "da"), 1)
        if zipf >= min_zipf:
            words[word] = zipf
    return {"about": ABOUT, "format": 1, "words": dict(sorted(words.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--min-zipf", type=float, default=1.5)
    args = parser.parse_args(argv)
    table = derive(args.min_zipf)
    raw = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with (
        args.out.open("wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=9, filename="") as gz,
    ):
        gz.write(raw)
    n = len(table["words"])  # type: ignore[arg-type]
    print(f"wrote {args.out} ({n} words, {args.out.stat().st_size / 1e3:.0f} kB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
