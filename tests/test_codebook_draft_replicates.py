"""Drafting a codebook (`connlab codebook`) for a file with replicate weights: numbered weights named
after the weight (``pwgtp`` and ``pwgtp1``..), named as replicate weights (``repwt1``.., with the nearest
weight) or numbered after the weight (``spfwt0``, ``spfwt1``..) get ``role: replicate_weight``, the
weight ``role: weight``, and the table a commented ``design:`` block whose ``replicate_type`` the user
fills in; once filled in the draft loads and gives the jackknife SE computed by hand. Small synthetic
files in tmp_path."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis import CodebookError, load_dataset, survey_design, survey_mean
from analysis.data.codebook_draft import codebook_yaml, draft_codebook

N_PSU = 4


def _survey(n: int = 40, *, n_rep: int = N_PSU, stem: str = "pwgtp", weight: str | None = "pwgtp",
            factors: bool = False, integer: bool = False, seed: int = 5) -> pd.DataFrame:  # fmt: skip
    """Persons in `N_PSU` clusters with a weight and delete-one-cluster jackknife replicate weights
    ``<stem>1``..: replicate r is 0 in cluster r (mod N_PSU) and the weight times N_PSU / (N_PSU - 1)
    elsewhere (the factors alone with `factors`)."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(40, 160, n)
    if integer:
        w = w.round()
    psu = np.arange(n) % N_PSU
    frame = pd.DataFrame({"pid": np.arange(1, n + 1)})
    if weight:
        frame[weight] = w
    frame["sat"] = rng.normal(5, 1.5, n).round(2)
    frame["rep_count"] = rng.integers(0, 6, n)
    for r in range(1, n_rep + 1):
        factor = np.where(psu == (r - 1) % N_PSU, 0.0, N_PSU / (N_PSU - 1))
        rep = factor if factors else factor * w
        frame[f"{stem}{r}"] = rep.round() if integer else rep
    return frame


def _draft(tmp_path, frame: pd.DataFrame, name: str = "survey.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    codebook = draft_codebook(path)
    return path, codebook, codebook["tables"]["data"]["variables"]


def _roles(variables: dict) -> dict:
    return {c: s.get("role") for c, s in variables.items()}


def _guesses(codebook, col=None) -> list[dict]:
    return [g for g in codebook["_guesses"] if g["variable"] == col]


def _filled(text: str, design: str) -> str:
    """The drafted YAML with its commented design block filled in and uncommented."""
    assert text.count("    # design: ") == 1
    return re.sub(r"^    # design: .*$", f"    design: {design}", text, flags=re.MULTILINE)


def _jackknife_se(frame: pd.DataFrame, weight: str, reps: list[str], y: str, scale: float,
                  centre: str = "mean") -> float:  # fmt: skip
    """The SE of the weighted mean from the replicate weights, by hand."""
    full = np.average(frame[y], weights=frame[weight])
    thetas = np.array([np.average(frame[y], weights=frame[r]) for r in reps])
    c = thetas.mean() if centre == "mean" else full
    return float(np.sqrt(scale * ((thetas - c) ** 2).sum()))


# ---------------------------------------------------------------------------------------------
# which columns are proposed
# ---------------------------------------------------------------------------------------------
def test_replicates_named_after_the_weight_get_the_role(tmp_path):
    _, codebook, variables = _draft(tmp_path, _survey())
    reps = [f"pwgtp{r}" for r in range(1, N_PSU + 1)]
    expected = {"pid": "id", "pwgtp": "weight", "sat": None, "rep_count": None}
    assert _roles(variables) == expected | dict.fromkeys(reps, "replicate_weight")
    assert all(variables[c]["type"] == "number" for c in reps)
    first = _guesses(codebook, "pwgtp1")[0]["guess"]
    assert "4 numbered weights pwgtp1..pwgtp4 named after the weight 'pwgtp'" in first and "`design:`" in first
    assert _guesses(codebook, "pwgtp3")[0]["guess"] == "replicate weight 3 of 4 (see pwgtp1)"
    assert "full-sample weight of the replicate weights pwgtp1..pwgtp4" in _guesses(codebook, "pwgtp")[0]["guess"]
    assert _guesses(codebook, "rep_count") == []
    table = [g for g in _guesses(codebook) if "design" in g]
    assert len(table) == 1 and table[0]["design"] == {"replicate_type": "FILL_IN"}
    assert "replicate_type" in table[0]["guess"] and "documentation" in table[0]["guess"]


def test_yaml_has_the_commented_design_block_where_design_goes(tmp_path):
    path, codebook, _ = _draft(tmp_path, _survey())
    lines = codebook_yaml(codebook, path).splitlines()
    at = lines.index("    # design: {replicate_type: FILL_IN}")
    assert lines[at + 1] == "    variables:" and lines[at - 5] == "    unit: person"
    assert lines[at - 4].startswith("    # guessed: a replicate-weight design (pwgtp with 4 replicate weights")
    assert sum(line.lstrip().startswith("# guessed:") for line in lines) == len(codebook["_guesses"])
    assert lines[lines.index("      pwgtp2:") - 1] == "      # guessed: replicate weight 2 of 4 (see pwgtp1)"


def test_draft_loads_once_the_design_is_filled_in(tmp_path):
    frame = _survey()
    path, codebook, _ = _draft(tmp_path, frame)
    text = codebook_yaml(codebook, path)
    cb = tmp_path / "survey.codebook.yaml"
    cb.write_text(text, encoding="utf-8")
    # as drafted it does not load: the replicate type must come from the data's documentation
    with pytest.raises(CodebookError, match=r"replicate weights need `design.replicate_type`"):
        load_dataset(cb)
    cb.write_text(_filled(text, "{replicate_type: JK1}"), encoding="utf-8")
    ds = load_dataset(cb)
    reps = [f"pwgtp{r}" for r in range(1, N_PSU + 1)]
    columns = ds.design_columns("data")
    assert columns["weight"] == "pwgtp" and columns["replicate_weights"] == reps
    assert columns["replicate_type"] == "JK1" and ds.problems.empty
    res = survey_mean(survey_design(ds.table(), **columns), y="sat").coefficients
    assert res["estimate"].item() == pytest.approx(np.average(frame["sat"], weights=frame["pwgtp"]), rel=1e-12)
    # JK1: scale (R - 1) / R, deviations from the replicates' mean
    se = _jackknife_se(frame, "pwgtp", reps, "sat", (N_PSU - 1) / N_PSU)
    assert res["se"].item() == pytest.approx(se, rel=1e-10) and se > 0


def test_acs_names_prefill_successive_difference(tmp_path):
    frame = _survey(30, n_rep=80, integer=True)
    path, codebook, variables = _draft(tmp_path, frame, "pums.csv")
    reps = [f"pwgtp{r}" for r in range(1, 81)]
    assert {variables[c].get("role") for c in reps} == {"replicate_weight"}  # not 80 instrument items
    assert not any("instrument" in variables[c] for c in reps)
    table = next(g for g in _guesses(codebook) if "design" in g)
    assert table["design"] == {"replicate_type": "successive-difference", "mse": True}
    assert "American Community Survey" in table["guess"]
    text = codebook_yaml(codebook, path)
    assert "    # design: {replicate_type: successive-difference, mse: true}" in text.splitlines()
    cb = tmp_path / "pums.codebook.yaml"
    cb.write_text(_filled(text, "{replicate_type: successive-difference, mse: true}"), encoding="utf-8")
    ds = load_dataset(cb)
    res = survey_mean(survey_design(ds.table(), **ds.design_columns()), y="sat").coefficients
    # the ACS PUMS documentation's SE: sqrt(4/80 sum_r (X_r - X)^2)
    se = _jackknife_se(frame, "pwgtp", reps, "sat", 4 / 80, centre="full")
    assert res["se"].item() == pytest.approx(se, rel=1e-10) and se > 0


def test_replicate_names_take_the_nearest_weight(tmp_path):
    frame = _survey(stem="repwt_", weight="finalwt").rename(columns={"pid": "id"})
    frame.insert(1, "wt_base", frame["finalwt"] * 2)
    _, codebook, variables = _draft(tmp_path, frame)
    roles = _roles(variables)
    assert roles["finalwt"] == "weight" and roles["wt_base"] is None
    assert [c for c, r in roles.items() if r == "replicate_weight"] == [f"repwt_{r}" for r in range(1, N_PSU + 1)]
    first = _guesses(codebook, "repwt_1")[0]["guess"]
    assert "named as replicate weights, beside the weight 'finalwt'" in first
    assert "nearest of the weight-like columns finalwt, wt_base: check" in first


@pytest.mark.parametrize(("stem", "weight", "replicates"), [
    ("pw_rep", "pw", "pw_rep1..pw_rep4 named after the weight 'pw'"),  # <weight>_rep1..
    ("nweight", "nweight", "nweight1..nweight4 named after the weight 'nweight'"),
    ("finalwt_r", "finalwt", "finalwt_r1..finalwt_r4 named after the weight 'finalwt'"),
    ("wtrep", "finlwt21", "wtrep1..wtrep4 named as replicate weights, beside the weight 'finlwt21'"),
    ("repwgt", "wpfinwgt", "repwgt1..repwgt4 named as replicate weights, beside the weight 'wpfinwgt'"),
])  # fmt: skip
def test_replicate_naming_conventions(tmp_path, stem, weight, replicates):
    _, codebook, variables = _draft(tmp_path, _survey(stem=stem, weight=weight))
    roles = _roles(variables)
    assert roles[weight] == "weight"
    assert [c for c, r in roles.items() if r == "replicate_weight"] == [f"{stem}{r}" for r in range(1, N_PSU + 1)]
    assert replicates in _guesses(codebook, f"{stem}1")[0]["guess"]
    assert all(len(_guesses(codebook, f"{stem}{r}")) == 1 for r in range(1, N_PSU + 1))  # no weight comments


def test_weight_numbered_zero_is_the_full_sample_weight(tmp_path):
    frame = _survey(stem="spfwt", weight="spfwt0")
    _, codebook, variables = _draft(tmp_path, frame)
    roles = _roles(variables)
    assert roles["spfwt0"] == "weight"
    assert [c for c, r in roles.items() if r == "replicate_weight"] == [f"spfwt{r}" for r in range(1, N_PSU + 1)]
    assert "replicate 0" in _guesses(codebook, "spfwt1")[0]["guess"]


# ---------------------------------------------------------------------------------------------
# what is not proposed
# ---------------------------------------------------------------------------------------------
def test_numbered_columns_beside_no_weight_are_not_replicates(tmp_path):
    frame = _survey(weight=None, stem="repwt")  # replicate names, but no weight-like column
    frame["weight"] = 1.0 + np.arange(len(frame)) % 3
    for r in range(1, 5):  # numbered like replicates of a column that is no weight (items, reversed items)
        frame[f"rep{r}"] = frame["rep_count"] + r
        frame[f"sat_{r}"] = frame["sat"] + r
        frame[f"sat_r{r}"] = frame["sat"] + r
    # replicate names without any weight-like column: no replicate design, no weight
    _, codebook, variables = _draft(tmp_path, frame.drop(columns=["weight"]))
    assert "replicate_weight" not in set(_roles(variables).values())
    assert "weight" not in set(_roles(variables).values())
    assert not [g for g in codebook["_guesses"] if "design" in g]
    _, _, variables = _draft(tmp_path, frame.drop(columns=[f"repwt{r}" for r in range(1, N_PSU + 1)]), "b.csv")
    roles = _roles(variables)
    assert roles["weight"] == "weight" and roles["rep_count"] is None
    assert all(roles[f"rep{r}"] is None and roles[f"sat_{r}"] is None and roles[f"sat_r{r}"] is None
               for r in range(1, 5))  # fmt: skip


def test_three_numbered_weights_are_not_replicates(tmp_path):
    # wave weights wt1..wt3 beside wt: fewer than four, so not proposed
    _, _, variables = _draft(tmp_path, _survey(n_rep=3, stem="wt", weight="wt"))
    assert "replicate_weight" not in set(_roles(variables).values())


def test_replicate_factors_and_missing_values_get_a_comment_only(tmp_path):
    _, codebook, variables = _draft(tmp_path, _survey(factors=True))
    assert "replicate_weight" not in set(_roles(variables).values())
    assert "look like replicate factors" in _guesses(codebook, "pwgtp1")[0]["guess"]
    frame = _survey()
    frame.loc[3, "pwgtp2"] = np.nan
    _, codebook, variables = _draft(tmp_path, frame, "m.csv")
    assert "replicate_weight" not in set(_roles(variables).values())
    assert "some are missing or negative where the weight is not" in _guesses(codebook, "pwgtp1")[0]["guess"]


def test_strata_and_psu_are_not_proposed_beside_replicates(tmp_path):
    frame = _survey()
    frame.insert(1, "vstrat", np.arange(len(frame)) % 2)
    frame.insert(2, "vpsu", np.arange(len(frame)) % N_PSU)
    _, codebook, variables = _draft(tmp_path, frame)
    roles = _roles(variables)
    assert roles["vstrat"] is None and roles["vpsu"] is None and roles["pwgtp1"] == "replicate_weight"
    assert "the table has replicate weights (pwgtp1, ...)" in _guesses(codebook, "vpsu")[0]["guess"]
