"""Writes a synthetic source (JSON for PUT /v1/sources/{id}) and an import file for it: one row
per township and indicator, every figure quoted from a sentence of the source.

    python3 bench/import-rows.py DATABASE OUT_DIR

The indicators are those measured in 亩, 人, 户 and 万元 (25 of the seed's); each has 40 sentences
with different figures, and each township quotes one of them (so 1,000 distinct quotes).
"""
import csv
import json
import subprocess
import sys

database, out = sys.argv[1], sys.argv[2]
WORDS = {"mu": "亩", "persons": "人", "households": "户", "yuan": "万元"}


def query(sql):
    lines = subprocess.run(
        ["psql", "-XAt", "-F", "\t", "-d", database, "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    return [line.split("\t") for line in lines]


indicators = query(
    "SELECT code, name_zh, unit FROM indicators WHERE unit IN ('mu', 'persons', 'households', 'yuan') "
    "ORDER BY code"
)
townships = [code for (code,) in query("SELECT code FROM places WHERE level = 'township' ORDER BY code")]

sentences = {}
text = []
for i, (code, name, unit) in enumerate(indicators):
    for k in range(40):
        figure = str(100 + 37 * k + i)
        quote = f"第{i + 1}项：{name}达到{figure}{WORDS[unit]}"
        sentences[(code, k)] = (figure, WORDS[unit], quote)
        text.append(quote + "。")

with open(f"{out}/source.json", "w") as f:
    json.dump({
        "title_zh": "township-stats 导入基准报告",
        "publisher_zh": "township-stats",
        "published_on": "2026-01-01",
        "text": "\n".join(text),
    }, f, ensure_ascii=False)

rows = 0
with open(f"{out}/rows.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["indicator_code", "place_code", "period_start", "period_end", "kind",
                "value_as_written", "unit_as_written", "quote"])
    for t, place in enumerate(townships):
        for code, _, _ in indicators:
            figure, unit, quote = sentences[(code, t % 40)]
            w.writerow([code, place, 2025, 2025, "actual", figure, unit, quote])
            rows += 1
print(rows)
