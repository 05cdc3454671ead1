"""Numpydoc sections of every public name (``analysis.__all__``), checked by numpydoc's own
validator: a docstring exists (GL08), every parameter is documented (PR01) and nothing else is
(PR02), what a function returns is described (RT01), and there is an ``Examples`` section (EX01),
which ``pytest --doctest-modules`` runs in ``make test``. The rule is in ``docs/api.md``."""

from __future__ import annotations

import inspect

import pytest
from numpydoc.validate import validate

import analysis

CHECKED = {"GL08", "PR01", "PR02", "RT01", "EX01"}


def _public():
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException | Warning):
            continue  # exception types: one-line docstrings are enough
        yield name, obj


@pytest.mark.parametrize(("name", "obj"), list(_public()), ids=[n for n, _ in _public()])
def test_public_docstring_sections_are_complete(name, obj):
    checked = CHECKED - ({"RT01", "EX01", "PR01", "PR02"} if inspect.isclass(obj) else set())
    errors = [f"{code}: {text}" for code, text in validate(f"{obj.__module__}.{obj.__qualname__}")["errors"]
              if code in checked]  # fmt: skip
    assert not errors, f"analysis.{name} ({obj.__module__}): " + "; ".join(errors)


def test_the_check_would_see_an_undocumented_parameter():
    def f(data, *, items):
        """Summary.

        Parameters
        ----------
        data : pandas.DataFrame
            The data.

        Returns
        -------
        float
            A number.

        Examples
        --------
        >>> 1
        1
        """

    f.__module__ = __name__
    globals()["_f_for_numpydoc"] = f
    f.__qualname__ = "_f_for_numpydoc"
    codes = {code for code, _ in validate(f"{__name__}._f_for_numpydoc")["errors"]}
    assert "PR01" in codes and "EX01" not in codes
