"""Which HTML parser the snapshot shares (`Page.document`): parse time and memory per page.

Parses `bench/audit.py`'s realistic news pages with lxml.html (the choice), BeautifulSoup over lxml (what
the crawler and the content check used) and selectolax (if installed; not a dependency), then walks each
tree once for every <a href> (what the crawler does). Prints µs per page, tree memory per page (traced
Python allocations for bs4; RSS growth while holding 500 trees for all), and the ratio to lxml.html.

    .venv/bin/python bench/html_parsers.py [--pages 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.audit import news_page  # noqa: E402


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def parse_lxml(text: str):
    from auditor.htmldoc import parse_document

    root = parse_document(text)
    return root, [a.get("href") for a in root.iter("a")]


def parse_bs4(text: str):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    return soup, [a.get("href") for a in soup.find_all("a")]


def parse_selectolax(text: str):
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    return tree, [a.attributes.get("href") for a in tree.css("a")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    docs = [news_page(i, 2000, []).decode() for i in range(args.pages)]
    print(f"{args.pages} pages, {sum(map(len, docs)) / len(docs) / 1024:.1f} KiB of HTML each on average")
    parsers = {"lxml.html": parse_lxml, "bs4(lxml)": parse_bs4}
    try:
        import selectolax  # noqa: F401

        parsers["selectolax(lexbor)"] = parse_selectolax
    except ImportError:
        print("selectolax not installed: skipped")
    results: dict[str, tuple[float, float]] = {}
    links = None
    for name, fn in parsers.items():
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for d in docs:
                fn(d)
            times.append((time.perf_counter() - t0) / len(docs) * 1e6)
        gc.collect()
        before = _rss_kb()
        held = [fn(d) for d in docs[:500]]
        gc.collect()
        per_page = (_rss_kb() - before) / len(held)
        found = [h for _tree, hrefs in held[:1] for h in hrefs]
        links = links or found
        if found != links:
            print(f"warning: {name} found different links on page 0")
        del held
        gc.collect()
        results[name] = (statistics.median(times), per_page)
    base_t, base_m = results["lxml.html"]
    for name, (t, m) in results.items():
        print(f"{name:20s} {t:8.0f} µs/page ({t / base_t:4.1f}x)   ~{m:6.0f} KiB held per parsed page "
              f"({m / base_m:4.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
