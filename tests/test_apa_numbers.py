"""Property tests of the APA number rules (analysis.apa): every number a report prints.

Rules (APA Publication Manual, 7th ed., sections 6.36 and 6.43): no leading zero for quantities
that cannot exceed 1 and a leading zero otherwise; p as ``< .001`` or three decimals; a real minus
sign and no negative zero; a value's rounding never hides it (a nonzero value never reads 0.00).
"""

import html
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.apa import (
    INTEGER_COLUMNS,
    NO_LEADING_ZERO,
    P_COLUMNS,
    apa_table,
    format_number,
    format_value,
    statistic_symbol,
)

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
unit = st.floats(min_value=-1, max_value=1, allow_nan=False)
NUMBER = re.compile(r"^(?P<bound>[<>] )?(?P<sign>-)?(?P<int>[\d,]*)\.?(?P<frac>\d*)$")


def _parse(text: str) -> tuple[float, int, str | None]:
    """The number shown, its decimals, and the bound sign (``<``/``>``) of a ``< 0.0001`` form."""
    plain = html.unescape(text).replace("\u2212", "-")
    m = NUMBER.match(plain)
    assert m, f"not a number: {text!r}"
    digits = f"{m['sign'] or ''}{m['int'].replace(',', '') or '0'}.{m['frac'] or '0'}"
    return float(digits), len(m["frac"]), (m["bound"] or "").strip() or None


@settings(max_examples=400, deadline=None)
@given(value=finite.filter(lambda v: v == 0 or abs(v) >= 1e-12), decimals=st.integers(0, 4))
def test_a_value_reads_within_half_a_last_digit_and_is_never_hidden(value, decimals):
    shown, places, bound = _parse(format_value(value, decimals))
    if bound:  # too small for decimals + 3 places: says so, on the right side of zero
        assert value != 0 and abs(value) < 10 ** -(decimals + 2) and (bound == "<") == (value > 0)
        return
    assert places >= decimals and abs(shown - value) <= 0.5 * 10**-places * (1 + 1e-9) + 1e-9 * abs(value)
    if value != 0:
        assert shown != 0, f"{value!r} reads as zero"
    assert not format_value(value, decimals).startswith("\u22120.00") or shown != 0  # no negative zero


@settings(max_examples=300, deadline=None)
@given(value=unit, column=st.sampled_from(sorted(NO_LEADING_ZERO - P_COLUMNS)))
def test_bounded_quantities_have_no_leading_zero(value, column):
    text = html.unescape(format_number(value, column)).replace("\u2212", "-").lstrip("<> -")
    if abs(value) < 0.995:
        assert text.startswith("."), (value, column, text)


@settings(max_examples=300, deadline=None)
@given(value=st.floats(min_value=-0.99, max_value=0.99, allow_nan=False),
       column=st.sampled_from(["estimate", "mean", "se", "sd", "skew", "ci_low"]))  # fmt: skip
def test_unbounded_quantities_keep_the_leading_zero(value, column):
    text = html.unescape(format_number(value, column)).replace("\u2212", "-").lstrip("<> -")
    assert text.startswith("0."), (value, column, text)


@settings(max_examples=300, deadline=None)
@given(p=st.floats(min_value=0, max_value=1), column=st.sampled_from(sorted(P_COLUMNS)))
def test_p_values(p, column):
    text = html.unescape(format_number(p, column))
    if p < 0.001:
        assert text == "< .001"
    else:
        assert re.fullmatch(r"(\.\d{3}|1\.000)", text) and abs(float(text) - p) <= 0.0005 + 1e-12


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 10**12), column=st.sampled_from(sorted(INTEGER_COLUMNS)))
def test_counts_are_whole_numbers_with_separators(n, column):
    assert format_number(n, column) == f"{n:,}" and format_number(float(n), column) == f"{n:,}"


@settings(max_examples=200, deadline=None)
@given(se=st.floats(min_value=1e-12, max_value=0.005))
def test_a_nonzero_se_never_reads_zero(se):
    assert format_number(se, "se") not in ("0.00", "0.000")
    assert "0.00" != format_value(se)


def test_statistic_column_is_headed_by_its_symbol():
    import pandas as pd

    t = pd.DataFrame({"term": ["x"], "estimate": [1.0], "statistic": [2.0], "df": [10], "p_value": [0.07]})
    z = t.drop(columns=["df"])
    f = pd.DataFrame({"statistic": [4.2], "df1": [2], "df2": [40], "p_value": [0.02]})
    chi = t.copy()
    chi.attrs["statistic"] = "chi_square"
    assert [statistic_symbol(x) for x in (t, z, f, chi)] == ["t", "z", "F", "chi_square"]
    heads = [re.findall(r"<th class=[^>]*>(.*?)</th>", apa_table(x, title="T").html) for x in (t, z, f, chi)]
    assert "<i>t</i>" in heads[0] and "<i>z</i>" in heads[1] and "<i>F</i>" in heads[2] and "&chi;&sup2;" in heads[3]
    assert all("Statistic" not in h for hs in heads for h in hs)


def test_ci_level_and_leading_zero_follow_the_table():
    import pandas as pd

    r = pd.DataFrame({"x": ["a"], "r": [-0.32], "ci_low": [-0.37], "ci_high": [-0.27]})
    r.attrs["ci"] = 0.9
    cells = re.findall(r"<td[^>]*>(.*?)</td>", apa_table(r, title="T").html)
    assert cells == ["a", "&minus;.32", "&minus;.37", "&minus;.27"]
    assert "90% CI <i>LL</i>" in apa_table(r, title="T").html
    b = pd.DataFrame({"term": ["x"], "estimate": [-0.32], "ci_low": [-0.37], "ci_high": [-0.27]})
    assert re.findall(r"<td[^>]*>(.*?)</td>", apa_table(b, title="T", ci=0.99).html)[2] == "&minus;0.37"
    assert "99% CI" in apa_table(b, title="T", ci=0.99).html


def test_empty_table_is_a_sentence_and_titles_use_labels():
    import pandas as pd

    html_ = apa_table(pd.DataFrame(columns=["a", "b"]), title="Practices and csi_16_total", number=3,
                      labels={"csi_16_total": "Satisfaction (CSI-16)"}).html  # fmt: skip
    assert "<th" not in html_ and "No rows to show." in html_
    assert "Practices and Satisfaction (CSI-16)" in html_ and "csi_16_total" not in html_


@pytest.mark.parametrize("value, expected", [(0.49063, "0.49"), (0.11424, "0.11"), (-0.0023, "&minus;0.002")])
def test_a_ratio_named_k_keeps_its_value(value, expected):
    """The k bug of issue 15: the partner-to-actor ratio must never print as 0."""
    assert format_number(value, "k") == expected and not math.isclose(value, 0)


def test_ids_have_no_thousands_separators():
    assert format_number(1682.0, "person_id") == "1682" and format_number(4062, "row") == "4062"
    assert format_number(1682, "n") == "1,682"
