"""The cost of the personal data scan (issue 18) on real pages: ``extract_page`` with and without it.

Run by hand: ``.venv/bin/python bench/personal_scan.py [ROUNDS]``. Prints the time per page of
the whole extraction, of the scan alone (lines + detectors) and the ratio, measured in the same run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from crawler import extract, pagetext

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-sites"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pages = [p.read_bytes() for p in sorted(REAL.rglob("*.html"))]
    if not pages:
        raise SystemExit(f"нет страниц в {REAL}")
    real_findings = pagetext.personal_findings
    timings = {}
    for label, scan in (("без проверки", lambda doc: []), ("с проверкой", real_findings)):
        pagetext_findings = scan
        extract.personal_findings = pagetext_findings
        start = time.perf_counter()
        for _ in range(rounds):
            for body in pages:
                extract.extract_page("http://127.0.0.1/", "http://127.0.0.1/", body, "text/html")
        timings[label] = (time.perf_counter() - start) / (rounds * len(pages))
    extract.personal_findings = real_findings
    base, with_scan = timings["без проверки"], timings["с проверкой"]
    print(f"страниц: {len(pages)}, повторов: {rounds}")
    print(f"извлечение без проверки: {base * 1000:.1f} мс/стр.; с проверкой: {with_scan * 1000:.1f} мс/стр.; отношение {with_scan / base:.2f}")


if __name__ == "__main__":
    main()
