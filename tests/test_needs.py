"""What a notebook needs from a data set (analysis.runner.needs): declarations are checked for
form, and each unmet need becomes a phrase that names the parameter or codebook role to set."""

import pytest

from analysis import load_dataset
from analysis.exceptions import ParameterError
from analysis.runner.needs import read_needs, unmet_needs


@pytest.fixture(scope="module")
def demo(small_demo):
    return load_dataset(small_demo)


def test_met_needs_give_nothing(demo):
    needs = ("instruments", "attachment", "dyads", "role:dyad_id", "score:{y}", "scores:{xs}", "table:{diary}",
             "column:{day}@{diary}", "roles:{role}:{roles}", "simulated")
    params = {"y": "csi_16_total", "xs": ["ecr_s_anxiety", "age"], "diary": "diary", "day": "day",
              "role": "gender", "roles": ["woman", "man"]}
    assert unmet_needs(needs, demo, params) == []


def test_unmet_needs_say_what_to_set(demo):
    phrases = unmet_needs(("score:{y}", "score:{w}", "table:{t}", "column:{x}@{t}", "column:{d}|no_such_role"),
                          demo, {"y": "happiness", "w": None, "t": "waves", "x": "a", "d": None})
    assert phrases[0] == "a score or numeric column 'happiness' (parameter `y`) in table 'survey'"
    assert phrases[1] == "a score or numeric column (parameter `w` is not set) in table 'survey'"
    assert phrases[2] == "a table 'waves' (parameter `t`)"  # named once although two needs ask for it
    assert "parameter `d` is not set and no variable has the codebook role no_such_role" in phrases[3]
    assert len(phrases) == 4


def test_a_parameter_left_at_none_follows_the_codebook_role(demo):
    assert unmet_needs(("dyads:{dyad}|dyad_id", "column:{p}|partner_role"), demo, {"dyad": None, "p": None}) == []
    assert unmet_needs(("roles:{role}:{roles}",), demo, {"role": "gender", "roles": ["woman", "robot"]})


@pytest.mark.parametrize(("metadata", "message"), [
    ({"connectionlab": {"needs": "instruments"}}, "must be a list of strings"),
    ({"connectionlab": {"needs": ["telepathy"]}}, "unknown need 'telepathy'"),
    ({"connectionlab": {"needs": ["column"]}}, "takes 1 argument"),
    ({"connectionlab": {"sections": {"s": {"needs": ["roles:{a}"]}}}}, "takes 2 argument"),
])  # fmt: skip
def test_malformed_declarations_are_refused(metadata, message):
    with pytest.raises(ParameterError, match=message):
        read_needs(metadata, "99_x.ipynb")
    assert read_needs({}, "99_x.ipynb").notebook == ()


def test_a_multiverse_is_drafted_given_or_said_to_be_missing(demo, tmp_path):
    need = ("multiverse:{spec}:{results}",)
    assert unmet_needs(need, demo, {"spec": "", "results": ""}) == []  # drafted from the demo's instruments
    data = tmp_path / "plain.csv"
    data.write_text("a,b\n1,2\n3,4\n5,7\n", encoding="utf-8")
    plain = load_dataset(data)  # no codebook: no roles, no instruments
    (phrase,) = unmet_needs(need, plain, {"spec": "", "results": ""})
    assert "outcome and predictor candidates" in phrase and "parameter `spec`" in phrase
    assert unmet_needs(need, plain, {"spec": "study.yaml", "results": ""}) == []  # a spec names its own data
    assert unmet_needs(need, plain, {"spec": "", "results": str(tmp_path)}) == []
