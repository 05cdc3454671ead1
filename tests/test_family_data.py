"""Family round-robin data: the codebook roles (family_id, actor_role, target_role) and their
checks, the drafter proposing them, the runner's `round_robin` need, the demo's family table and
its true SRM values, and notebook 08 on the demo and on Cook (2000) (the lavaan fixture of
tests/reference/srm.R)."""

import html
import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from analysis import (
    CodebookError,
    DataError,
    draft_codebook,
    load_dataset,
    read_codebook,
    round_robin_problems,
    round_robin_table,
    simulate_demo_survey,
    srm,
)
from analysis.data.simulate import TRUE_EFFECTS, TRUE_PARAMETERS, compare_with_truth, true_srm_values
from analysis.runner.cli import main
from analysis.runner.needs import unmet_needs

DRAFTED = PROJECT_ROOT / "tests" / "codebooks" / "drafted"
REFERENCE = PROJECT_ROOT / "tests" / "reference"
ROLES = ["m", "f", "o", "y"]


def _codebook(tmp_path, variables: str):
    path = tmp_path / "codebook.yaml"
    path.write_text(textwrap.dedent("""\
        dataset: fam
        tables:
          family:
            file: family.csv
            variables:
        """) + textwrap.indent(textwrap.dedent(variables), " " * 6), encoding="utf-8")  # fmt: skip
    return path


def _round_robin(families=3, roles=("m", "f", "y")) -> pd.DataFrame:
    rows = [(f, a, t) for f in range(1, families + 1) for a in roles for t in roles if a != t]
    frame = pd.DataFrame(rows, columns=["fam", "rater", "rated"])
    return frame.assign(x=np.arange(len(frame), dtype=float) % 5)


# --- codebook roles -------------------------------------------------------------------------
def test_the_three_roles_are_read(tmp_path):
    variables = """\
        fam: {type: integer, role: family_id}
        rater: {type: categorical, role: actor_role, values: [m, f, y]}
        rated: {type: categorical, role: target_role, values: [y, m, f]}
        x: {type: number}
    """
    book = read_codebook(_codebook(tmp_path, variables))
    roles = [v.get("role") for v in book["tables"]["family"]["variables"].values()]
    assert roles == ["family_id", "actor_role", "target_role", None]
    assert round_robin_table(book) == "family" and round_robin_table({"tables": {}}) is None


@pytest.mark.parametrize(("variables", "message"), [
    ("rater: {type: string, role: actor_role}\nrated: {type: string, role: target_role}\n",
     r"table 'family': a round-robin table .* it has 'rater' \(role: actor_role\), 'rated' \(role: target_role\) but "
     r"no role: family_id \(the family \(group\) id\)"),
    ("fam: {type: integer, role: family_id}\nrater: {type: string, role: actor_role}\n",
     r"it has 'fam' \(role: family_id\), 'rater' \(role: actor_role\) but no role: target_role"),
    ("fam: {type: integer, role: family_id}\nhh: {type: integer, role: family_id}\n",
     r"only one column of a table may have role: family_id, but 'fam', 'hh' have it"),
    ("fam: {type: integer, role: family_id}\nrater: {type: string, role: actor_role, values: [m, f]}\n"
     "rated: {type: string, role: target_role}\n",
     r"variable 'rater': a round robin has 3 or 4 family roles, but `values` lists 2 \(\['m', 'f'\]\)"),
    ("fam: {type: integer, role: family_id}\nrater: {type: string, role: actor_role, values: [m, f, y]}\n"
     "rated: {type: string, role: target_role, values: [m, f, c]}\n",
     r"\('rater', role: actor_role\) and the persons rated \('rated', role: target_role\) must have the same "
     r"`values`, not \['m', 'f', 'y'\] and \['m', 'f', 'c'\]"),
    ("fam: {type: integer, role: family}\n", r"variable 'fam': `role` must be one of .*family_id, actor_role, "
     r"target_role.*, not 'family'"),
])  # fmt: skip
def test_codebook_errors_name_the_column_and_the_fix(tmp_path, variables, message):
    with pytest.raises(CodebookError, match=message):
        read_codebook(_codebook(tmp_path, variables))


def test_a_family_id_alone_is_allowed(tmp_path):
    book = read_codebook(_codebook(tmp_path, "fam: {type: integer, role: family_id}\n"))
    assert round_robin_table(book) is None


def test_round_robin_problems_name_family_row_column_and_value():
    data = _round_robin(4)  # rows of a family: m -> f, m -> y, f -> m, f -> y, y -> m, y -> f
    data.loc[2, "rated"] = "f"  # family 1: f -> m becomes f -> f, a self-rating (and f -> m is lacking)
    data.loc[7, "rater"] = None  # family 2: the rater of m -> y is missing (and m -> y is lacking)
    data = data.drop(index=[13])  # family 3 lacks m -> y
    data = pd.concat([data, data.loc[[20]]])  # family 4: f -> m twice (the same row label twice)
    problems = round_robin_problems(data, family="fam", actor="rater", target="rated")
    shown = problems[["family", "row", "column", "value"]].astype(object)
    assert shown.where(shown.notna(), None).to_numpy().tolist() == [
        [1, 2, "rated", "f"], [1, None, "rater, rated", "f -> m"],
        [2, 7, "rater", None], [2, None, "rater, rated", "m -> y"],
        [3, None, "rater, rated", "m -> y"],
        [4, 20, "rater, rated", "f -> m"]]  # fmt: skip
    text = problems["problem"].tolist()
    assert text[0] == "the member rates themselves (f -> f): correct the 'rated' value or drop the row"
    assert text[1].startswith("the family lacks the directed dyad f -> m: add the rating")
    assert text[2] == "missing actor: fill it in or drop the row"
    assert text[5] == "the directed dyad f -> m appears twice in the family: keep one row"
    assert round_robin_problems(_round_robin(2), family="fam", actor="rater", target="rated").empty


def test_round_robin_problems_need_3_or_4_roles_and_the_columns():
    two = _round_robin(2, roles=("m", "f"))
    problems = round_robin_problems(two, family="fam", actor="rater", target="rated")
    assert len(problems) == 1 and problems["family"].isna().all()
    assert "a round robin has 3 or 4 family roles, but 'rater' and 'rated' hold 2 (f, m)" in problems["problem"][0]
    with pytest.raises(DataError, match="no column 'target'"):
        round_robin_problems(two, family="fam", actor="rater", target="target")


# --- drafting ---------------------------------------------------------------------------------
def test_draft_proposes_the_roles_on_cook2000(shared_data):
    book = draft_codebook(shared_data / "cook2000_three_person" / "data.csv")
    table = book["tables"]["data"]
    roles = {c: v.get("role") for c, v in table["variables"].items()}
    assert roles == {"family.id": "family_id", "actor.id": "actor_role", "partner.id": "target_role",
                     "anx1": None, "anx2": None}  # fmt: skip
    assert table["unit"] == "family member pair (rater x member rated)"
    assert table["variables"]["actor.id"]["values"] == ["f", "m", "y"]
    assert "range" not in table["variables"]["family.id"]
    guesses = {g["variable"]: g["guess"] for g in book["_guesses"]}
    assert guesses["family.id"].startswith("family (group) id of a round robin: the name, and each value on 6 rows")
    assert guesses["actor.id"].startswith("rater (actor) in a family round robin: the name, and 3 family roles")


def test_draft_finds_a_round_robin_from_its_structure(tmp_path):
    data = _round_robin(20, roles=(1, 2, 3, 4)).rename(columns={"fam": "household", "rater": "a", "rated": "b"})
    data.to_csv(tmp_path / "rr.csv", index=False)
    variables = draft_codebook(tmp_path / "rr.csv")["tables"]["data"]["variables"]
    assert [variables[c].get("role") for c in ("household", "a", "b")] == ["family_id", "actor_role", "target_role"]
    assert variables["a"]["values"] == [1, 2, 3, 4]
    couples = pd.DataFrame({"household": np.repeat(np.arange(30), 2), "partner": np.tile([1, 2], 30),
                            "x": np.arange(60)})  # fmt: skip
    couples.to_csv(tmp_path / "couples.csv", index=False)
    roles = {v.get("role") for v in draft_codebook(tmp_path / "couples.csv")["tables"]["data"]["variables"].values()}
    assert not roles & {"family_id", "actor_role", "target_role"}


# --- the runner's need ------------------------------------------------------------------------
NEED = ("round_robin:{family}|family_id:{actor}|actor_role:{partner}|target_role",)
NO_COLUMNS = {"table": None, "family": None, "actor": None, "partner": None}


PHRASE = ("a family round robin (one row per family, rater and member rated) in table {!r}: a variable with role: "
          "family_id (or set `family`), a variable with role: actor_role (or set `actor`), a variable with role: "
          "target_role (or set `partner`)")  # fmt: skip


def test_round_robin_need_on_the_demo(small_demo):
    demo = load_dataset(small_demo)
    assert unmet_needs(NEED, demo, NO_COLUMNS) == []  # table None: the family table
    assert unmet_needs(NEED, demo, {**NO_COLUMNS, "table": "survey"}) == [PHRASE.format("survey")]
    phrase = unmet_needs(NEED, demo, {**NO_COLUMNS, "table": "survey", "family": "couple_id", "actor": "x"})[0]
    assert phrase.endswith("in table 'survey': a column 'x' (parameter `actor`), a variable with role: target_role "
                           "(or set `partner`)")  # fmt: skip


def test_round_robin_need_on_real_data(shared_data):
    couples = load_dataset(DRAFTED / "acitelli_couples.yaml")  # couples, no family round robin
    assert unmet_needs(NEED, couples, NO_COLUMNS) == [PHRASE.format("data")]
    cook = load_dataset(DRAFTED / "cook2000_three_person.yaml")  # redrafted: family_id, actor_role, target_role
    assert unmet_needs(NEED, cook, NO_COLUMNS) == []
    named = {"table": None, "family": "family.id", "actor": "actor.id", "partner": "partner.id"}
    assert unmet_needs(NEED, cook, named) == []
    two = cook.table("data").query("`actor.id` != 'y' and `partner.id` != 'y'")
    assert round_robin_problems(two, family="family.id", actor="actor.id", target="partner.id")["problem"][0] == (
        "a round robin has 3 or 4 family roles, but 'actor.id' and 'partner.id' hold 2 (f, m): check the columns, "
        "or recode the roles")  # fmt: skip


# --- the demo's family table ------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_family():
    return simulate_demo_survey(n_couples=10, seed=20261123)


def test_demo_family_table_layout_and_separate_stream(demo_family):
    fam = demo_family.family
    assert list(fam.columns) == ["family_id", "actor", "target", "closeness_1", "closeness_2"]
    assert fam["family_id"].nunique() == 150 and len(fam) == 150 * 12 - 6  # 6 families lack one rating
    problems = round_robin_problems(fam, family="family_id", actor="actor", target="target")
    assert len(problems) == 6 and problems["row"].isna().all()  # only lacking ratings, each listed
    values = fam[["closeness_1", "closeness_2"]].to_numpy()
    assert 0 < values.min() and values.max() < 10  # the 0-10 clip never binds: the truth holds exactly
    other = simulate_demo_survey(n_couples=12, seed=20261123, n_families=150)
    pd.testing.assert_frame_equal(other.family, fam)  # own stream: independent of the couples
    assert demo_family.codebook["tables"]["family"]["variables"]["actor"]["role"] == "actor_role"
    assert demo_family.truth["family_srm"] == json.loads(json.dumps(true_srm_values()))


def test_true_srm_values_follow_the_parameters():
    truth, t = true_srm_values(), TRUE_PARAMETERS["family_srm"]
    assert truth["generalized_reciprocity"]["m"] == pytest.approx(0.3 * np.sqrt(0.40 * 0.20), rel=1e-12)
    assert truth["dyadic_reciprocity"] == pytest.approx({"m<->f": 0.175, "m<->o": 0.07, "m<->y": 0.07,
                                                         "f<->o": 0.07, "f<->y": 0.07, "o<->y": 0.105})  # fmt: skip
    for shares in truth["shares"].values():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert truth["shares"]["o->y"]["actor"] == pytest.approx(0.45 / (0.25 + 0.45 + 0.25 + 0.35 + 0.20), rel=1e-12)
    srm_rows = TRUE_EFFECTS[TRUE_EFFECTS["model"] == "srm"]
    assert len(srm_rows) == 49 and srm_rows["key"].is_unique and t["relationship_variance"] == 0.35


def test_srm_recovers_the_demo_truth(demo_family):
    # 144 complete families: each estimate within 3.5 of its standard errors of the truth (55 estimates; the
    # largest |z| of this seed is 2.6), and the averages over roles and dyads close to the truth
    fam = demo_family.family
    res = srm(fam, family="family_id", actor="actor", partner="target", indicators=["closeness_1", "closeness_2"],
              roles=ROLES)  # fmt: skip
    fit = res.fit.iloc[0]
    assert fit["n"] == 144 and fit["n_excluded"] == 6 and fit["p_value"] > 0.01
    table = compare_with_truth(res.coefficients.fillna({"role": ""}), model="srm", outcome="closeness",
                               key=["component", "role"])  # fmt: skip
    assert table["true_value"].notna().all()
    z = (table["estimate"] - table["true_value"]) / table["se"]
    assert z.abs().max() < 3.5
    mean = table.groupby("component")["estimate"].mean()
    assert mean["relationship"] == pytest.approx(0.35, abs=0.05)  # SE of the mean ~.025
    assert mean["error"] == pytest.approx(0.20, abs=0.03)
    assert mean["actor"] == pytest.approx(np.mean([0.40, 0.35, 0.45, 0.30]), abs=0.12)


# --- notebook 08 through the runner --------------------------------------------------------------
def _status(out):
    index = (out / "index.html").read_text(encoding="utf-8")
    return dict(re.findall(r">(\d\d_\w+)(?:</a>)?</td><td class='status-[\w-]+'>([\w ]+)</td>", index)), index


def test_notebook_08_runs_on_the_demo(small_demo, tmp_path):
    assert main(["run", "--data", str(small_demo), "--only", "08_family_srm", "--out", str(tmp_path)]) == 0
    assert _status(tmp_path)[0] == {"08_family_srm": "succeeded"}
    results = json.loads((tmp_path / "08_family_srm" / "results.json").read_text(encoding="utf-8"))["results"]
    assert results["columns"] == {"table": "family", "family": "family_id", "actor": "actor", "partner": "target"}
    assert len(results["round_robin_problems"]) == 6 and results["fit"][0]["n"] == 144
    assert all(r["true_value"] is not None for r in results["recovered"])
    alt = json.loads((tmp_path / "08_family_srm" / "figures" / "figures.json").read_text(encoding="utf-8"))
    assert alt[0]["alt"].startswith("Stacked horizontal bars, one per directed dyad")


def test_notebook_08_on_cook2000_matches_lavaan(shared_data, tmp_path, monkeypatch):
    # the drafted codebook with the columns as parameters too, as a user of an older draft (no roles) does
    monkeypatch.delenv("CONNLAB_DATA_ROOT")
    code = main(["run", "--data", str(DRAFTED / "cook2000_three_person.yaml"), "--data-root", str(shared_data),
                 "--params", str(DRAFTED / "cook2000_three_person.params.yaml"), "--only", "08_family_srm",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 0 and _status(tmp_path)[0] == {"08_family_srm": "succeeded"}
    results = json.loads((tmp_path / "08_family_srm" / "results.json").read_text(encoding="utf-8"))["results"]
    fit = pd.read_csv(REFERENCE / "srm_fit.csv").set_index("model").loc["cook3_2"]
    ours_fit = results["fit"][0]  # the one row of `.fit`
    assert ours_fit["chi_square"] == pytest.approx(fit["chisq"], rel=1e-6)
    assert ours_fit["df"] == fit["df"] and ours_fit["n"] == 208
    ref = pd.read_csv(REFERENCE / "srm_params.csv")
    ref = ref[(ref["model"] == "cook3_2") & (ref["lhs"] == ref["rhs"]) & ref["lhs"].str.match(r"[APR]\.")]
    lavaan = {("actor" if lhs[0] == "A" else "partner" if lhs[0] == "P" else "relationship",
               lhs[2:] if lhs[0] != "R" else lhs[2:].replace(".", "->")): est
              for lhs, est in zip(ref["lhs"], ref["est"], strict=True)}  # fmt: skip
    ours = {(r["component"], r["role"]): r["estimate"] for r in results["coefficients"]}
    assert len(lavaan) == 12
    for key, value in lavaan.items():
        assert ours[key] == pytest.approx(value, rel=1e-6), key
    assert results["round_robin_problems"] == []


def test_notebook_08_is_not_applicable_without_a_round_robin(small_demo, tmp_path):
    code = main(["run", "--data", str(small_demo), "--only", "08_family_srm", "-p", "table=survey",
                 "--out", str(tmp_path)])  # fmt: skip
    statuses, index = _status(tmp_path)
    assert code == 0 and statuses == {"08_family_srm": "not applicable"}
    # one line: the layout it needs, and the default indicators it did not find
    line = f"needs {PHRASE.format('survey')} and the scores 'closeness_1', 'closeness_2' (parameter `indicators`)"
    assert line in html.unescape(index)
