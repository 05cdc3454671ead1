"""Outputs of pyprocessmacro (the peer, not a test dependency) on the PROCESS fixtures.

Run from the repository root with the bench extra installed:
    .venv/bin/python tests/reference/process_pyprocessmacro.py
Writes tests/reference/process_pyprocessmacro.csv: one row per reported quantity of `Process.tidy()`
(fixture, component, outcome, term, moderator values w and z, estimate, std_error, conf_low, conf_high,
n_boot), 5,000 resamples, percentile intervals (m4bc: bias-corrected), spotlight at PROCESS's
percentiles. Data:
process_tal_or.csv (psych::Tal_Or, written by process.R) and process_disaster.csv (Hayes, 2018, ch. 7).
pyprocessmacro uses PROCESS 2.16's letters: in model 1 the moderator is `m`, in model 3 the moderators
are `m` (our W) and `w` (our Z), in model 14 it is `v`.
"""

import warnings
from pathlib import Path

import pandas as pd
import pyprocessmacro
from pyprocessmacro import Process

HERE = Path(__file__).resolve().parent
tal = pd.read_csv(HERE / "process_tal_or.csv")
dis = pd.read_csv(HERE / "process_disaster.csv")
COMMON = {"boot": 5000, "seed": 20260101, "percent": True, "suppr_init": True, "spotlight": "percentiles"}
FIXTURES = {
    "m4": (tal, {"model": 4, "x": "cond", "m": ["pmi"], "y": "reaction", "effsize": True}),
    "m4cov": (tal, {"model": 4, "x": "cond", "m": ["pmi"], "y": "reaction", "controls": ["gender", "age"]}),
    "par": (tal, {"model": 4, "x": "cond", "m": ["pmi", "import"], "y": "reaction"}),
    "ser": (tal, {"model": 6, "x": "cond", "m": ["import", "pmi"], "y": "reaction"}),
    "m7": (tal, {"model": 7, "x": "cond", "m": ["pmi"], "w": "age", "y": "reaction"}),
    "m14": (tal, {"model": 14, "x": "cond", "m": ["pmi"], "v": "age", "y": "reaction"}),
    "m4bin": (tal, {"model": 4, "x": "cond", "m": ["pmi"], "y": "hi", "logit": True}),
    "m1": (dis, {"model": 1, "x": "frame", "m": "skeptic", "y": "justify"}),
    "m3": (tal, {"model": 3, "x": "cond", "m": "pmi", "w": "age", "y": "reaction"}),  # W = pmi, Z = age
    "m4bc": (tal, {"model": 4, "x": "cond", "m": ["pmi"], "y": "reaction", "percent": False}),  # bias-corrected
}
frames = []
for name, (data, kwargs) in FIXTURES.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tidy = Process(data=data, **(COMMON | kwargs)).tidy()
    mod_cols = [c for c in ("skeptic", "pmi", "age") if c in tidy.columns]  # moderator values probed
    tidy["w"] = tidy[mod_cols[0]] if mod_cols else float("nan")
    tidy["z"] = tidy[mod_cols[1]] if len(mod_cols) > 1 else float("nan")
    frames.append(tidy.assign(fixture=name)[["fixture", "component", "outcome", "term", "w", "z", "estimate",
                                              "std_error", "conf_low", "conf_high", "n_boot"]])
out = pd.concat(frames, ignore_index=True)
out.attrs["version"] = pyprocessmacro.__version__ if hasattr(pyprocessmacro, "__version__") else "?"
out.to_csv(HERE / "process_pyprocessmacro.csv", index=False, float_format="%.15g")
print(f"pyprocessmacro {out.attrs['version']}: {len(out)} rows")
print(out.to_string())
