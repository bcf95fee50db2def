#!/usr/bin/env python3
"""Copies the table and the targets of a results.md into README.md between the bench markers.

    readme_table.py RESULTS.md README.md

So the README's "Performance" section shows exactly what the committed sample printed, not a
hand-edited copy.
"""
import sys
from pathlib import Path

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
results = Path(sys.argv[1]).read_text().splitlines()
keep = [line for line in results if line.startswith("|")]
targets = [line for line in results if line.startswith("- ") and line[2:8].strip() in ("MET", "MISSED", "n/a")]
block = "\n".join([BEGIN, "", *keep, "", "Targets of issue 13 in that run:", "", *targets, "", END])
readme = Path(sys.argv[2])
text = readme.read_text()
start, end = text.index(BEGIN), text.index(END) + len(END)
readme.write_text(text[:start] + block + text[end:])
