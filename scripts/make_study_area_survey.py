"""Write a deterministic, made-up needs survey for the real study area (tests/data/study_area_survey.csv).

The open data kit holds no survey of what residents need, so the real-kit tests and benchmarks
use this one: one row per response (a ward code and one to three categories separated by ";"),
as Microsoft/Google Forms export them. Ward response volumes are deliberately uneven, from
none or one or two responses up to about sixty, the way real consultation returns are, so the
"few responses" handling is exercised on real boundaries and populations. It is NOT real data.

    .venv/bin/python scripts/make_study_area_survey.py [WARDS_GEOJSON]
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
OUT = REPO / "tests" / "data" / "study_area_survey.csv"
# Categories residents ask about, with how often (made up, but a plausible mix).
ASKED = {
    "food_support": 5,
    "youth": 5,
    "older_people": 4,
    "gp_practice": 4,
    "advice": 3,
    "community_space": 3,
    "library": 2,
    "childcare": 2,
    "green_space": 2,
    "digital_inclusion": 2,
    "employment": 1,
    "dentist": 2,
}
SEED = 20261201
RARE = ["arts_culture", "sport", "faith"]


def main() -> None:
    """Write the survey file."""
    wards_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA / "boundaries" / "wards" / "study_area_wards.geojson"
    codes = sorted(gpd.read_file(wards_path)["ward_code"])
    rng = np.random.default_rng(SEED)
    cats = np.array(sorted(ASKED))
    p = np.array([ASKED[c] for c in cats], dtype=float)
    p /= p.sum()
    rows = []
    for code in codes:
        if rng.random() < 0.25:
            # A quarter of the wards send 0-3 responses, each naming one kind of place, often a rare one:
            # the case where a ratio scaled to the area's maximum lets two responses outrank sixty.
            for _ in range(int(rng.integers(0, 4))):
                rows.append((code, str(rng.choice(RARE + [str(c) for c in cats]))))
            continue
        for _ in range(int(rng.integers(5, 61))):
            picked = rng.choice(cats, size=int(rng.integers(1, 4)), replace=False, p=p)
            rows.append((code, ";".join(sorted(picked))))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ward_code", "category"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} responses for {len(codes)} wards to {OUT}")


if __name__ == "__main__":
    main()
