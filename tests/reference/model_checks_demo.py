"""Remake tests/reference/model_checks_demo.csv, the simulated input of model_checks.R.

Run from the project root: ``.venv/bin/python tests/reference/model_checks_demo.py``.
The data come from our own generator: ``write_demo_survey(n_couples=150, seed=11)``, loaded and
scored with ``load_dataset`` and ``score_dataset(table="survey")`` (283 analysed persons), keeping
the ids, a few demographics and the instrument scores. The couple id of three persons (rows 5,
40 and 41 of the file, counted from 0) is then blanked, so that the cluster-robust fixtures
exclude and count rows with a missing dyad id. Missing cells are empty fields.

The committed CSV, not the generator, is the test input: if the generator changes, the tests
keep working on the committed file; remake it only together with model_checks.R's fixtures.
"""

import hashlib
import tempfile
from pathlib import Path

import pandas as pd

from analysis import load_dataset, score_dataset, write_demo_survey
from analysis.data.simulate import GENERATOR_VERSION

OUT = Path(__file__).resolve().parent / "model_checks_demo.csv"
COLUMNS = ["person_id", "couple_id", "partner", "gender", "age", "education", "relationship_status",
           "relationship_years", "ecr_s_anxiety", "ecr_s_avoidance", "csi_16_total", "swls_total",
           "cpi_total", "ucla_3_total"]  # fmt: skip
BLANK_COUPLE = [5, 40, 41]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scored = score_dataset(load_dataset(write_demo_survey(tmp, n_couples=150, seed=11)), table="survey")
    out = scored[COLUMNS].reset_index(drop=True)
    out["couple_id"] = out["couple_id"].astype("Int64")
    out.loc[BLANK_COUPLE, "couple_id"] = pd.NA
    out.to_csv(OUT, index=False, lineterminator="\n")
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({len(out)} rows, {len(COLUMNS)} columns; generator version "
          f"{GENERATOR_VERSION}; sha256 {digest})")


if __name__ == "__main__":
    main()
