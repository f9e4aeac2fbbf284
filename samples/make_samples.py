"""Re-create the bundled demo samples: ``python samples/make_samples.py [OUT]`` (default: samples/).

Deterministic (fixed seeds) and made only by the project's own generator (gidar_dev.synth), so the
set can be rebuilt after a generator change and committed again:

* 3 single reports (county government, department, township; both templates; fully ruled,
  horizontal rules only and unruled tables),
* a 2-year series of one body (carry-over linked, for the cross-report checks),
* 1 report with a planted publisher error (a table-三 row total off by one),
* 1 report that bends the template as real ones do: a 2023 report printing table 二 in
  the 2019 layout (tables 三/四 in the 2021 one), with Hubei's extra row 其他主动公开文件（…）,
  explanations in brackets, units in cells and thin-space thousands separators,
* 1 bad file: an HTML error page saved as .pdf, which real portals serve surprisingly often.

The other reports keep to the template (`LayoutOptions.unbent`), so the demo reads cleanly.

Each PDF has its truth ``<stem>.json`` (../shared/corpus/README.md format) for ``gidar eval``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from reportlab import rl_config

from gidar_dev.synth import LayoutOptions, draw_options, make_report
from gidar_dev.synth.series import make_series

rl_config.invariant = 1  # no creation date / random document id: same seeds, same bytes

HTML_AS_PDF = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>404 页面不存在</title></head>
<body><h1>对不起，您访问的页面不存在或已被删除</h1><p>请返回政府门户网站首页。</p></body></html>
"""


def _ruling(seed: int, rules: str) -> LayoutOptions:
    """The generator's random layout for ``seed``, with table ruling fixed so the set shows all three."""
    return draw_options(random.Random(seed)).unbent().with_(rules=rules)


MIXED = dict(
    t2_mixed=True,
    extra_row=True,
    label_notes=True,
    count_unit="宗",
    thousands=True,
    thousands_sep="\u2009",
    money_unit="cell",
    money_decimals="6",
    zero="0",
)


def make_samples(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    # the county report prints its zeros (with blanks, its empty table 三 would read as unfilled)
    singles = (
        (101, "county-2023", 2023, "government", "all", {"zero": "0"}),
        (102, "department-2020", 2020, "department", "hrules", {}),
        (103, "township-2024", 2024, "township", "none", {}),
    )
    written = [
        make_report(
            seed, report_id=stem, year=year, agency_type=kind, options=_ruling(seed, rules).with_(**more)
        ).write(out)
        for seed, stem, year, kind, rules, more in singles
    ]
    written.append(
        make_report(
            104, report_id="publisher-error-2022", year=2022, error="t3_row_total_off_by_one", options=_plain(104)
        ).write(out)
    )
    mixed = _ruling(106, "all").with_(**MIXED)
    written.append(
        make_report(106, report_id="mixed-2023", year=2023, agency_type="department", options=mixed).write(out)
    )
    series = make_series(105, years=(2021, 2022), series_id="series", agency_type="government", options=_plain(105))
    for r in series:
        written.append(r.write(out, f"series-{r.truth['metadata']['report_year']}"))
    bad = out / "not-a-pdf.pdf"
    bad.write_text(HTML_AS_PDF, encoding="utf-8")
    written.append(bad)
    return written


def _plain(seed: int) -> LayoutOptions:
    return draw_options(random.Random(seed)).unbent()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for p in make_samples(target):
        print(f"{p.stat().st_size:>8}  {p}")
