"""Remake tests/data/scoring_sample.csv, the input of tests/reference/make_fixtures.R.

Run from the project root: ``.venv/bin/python tests/reference/make_scoring_sample.py``.
The sample is simulated by our own generator (``simulate_demo_survey(n_couples=30, seed=7)``);
missing cells are kept as empty fields. Then rerun make_fixtures.R to remake the reference CSVs.

The committed CSV, not the generator, is the test input: if the generator's output changes
(check the printed SHA-256 against the MD5/row count in make_fixtures.Rout), the tests keep
working on the committed sample; remake the sample only together with the fixtures and the
literal counts in tests/test_scales.py and tests/test_describe.py.
"""

import hashlib
from pathlib import Path

from analysis.data.simulate import GENERATOR_VERSION, simulate_demo_survey

OUT = Path(__file__).resolve().parents[1] / "data" / "scoring_sample.csv"

COLUMNS = (
    ["person_id"]
    + [f"ecr_s_{i}" for i in range(1, 13)]
    + [f"csi_16_{i}" for i in range(1, 17)]
    + [f"swls_{i}" for i in range(1, 6)]
)


def main() -> None:
    survey = simulate_demo_survey(n_couples=30, seed=7).survey
    OUT.parent.mkdir(parents=True, exist_ok=True)
    survey[COLUMNS].to_csv(OUT, index=False, lineterminator="\n")
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({len(survey)} rows, {len(COLUMNS)} columns; "
          f"generator version {GENERATOR_VERSION}; sha256 {digest})")


if __name__ == "__main__":
    main()
