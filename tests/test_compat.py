"""0.1 names keep working for one release, each with a DeprecationWarning naming the new place
(docs/api.md, "Renamed in 0.2"); the public surface is ``from analysis import ...``."""

import importlib
import subprocess
import sys

import pytest

import analysis
from analysis._compat import OLD_MODULES, OLD_PACKAGE_NAMES, renamed_parameter
from analysis.exceptions import ParameterError


def test_the_public_functions_are_functions_not_modules():
    """`from analysis import mediation` gave a module in 0.1 ("'module' object is not callable")."""
    from analysis import mediation, moderation, replication

    for f in (mediation, moderation, replication):
        assert callable(f) and f.__module__.startswith("analysis.")
    assert analysis.mediation.__name__ == "mediation"


def test_every_public_name_resolves_and_is_listed():
    assert len(analysis.__all__) == len(set(analysis.__all__))
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None
    assert set(dir(analysis)) >= set(analysis.__all__)
    with pytest.raises(AttributeError, match="no attribute 'no_such_function'"):
        analysis.no_such_function  # noqa: B018


@pytest.mark.parametrize("old", sorted(OLD_MODULES))
def test_old_module_paths_resolve_with_a_warning(old):
    """Run in a fresh interpreter: the warning is given once, at the first import."""
    code = (f"import warnings; warnings.simplefilter('error')\n"
            f"try:\n    import {old}\nexcept DeprecationWarning as w:\n    print('warned:', w)\n")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"warned: The module `{old}` is now `analysis.")


def test_old_module_attributes_come_from_the_new_modules():
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("analysis.regression")
    from analysis.models.limited_outcomes import tobit
    from analysis.models.regression import ols

    assert old.ols is ols and old.tobit is tobit
    with pytest.raises(AttributeError, match="moved to"):
        old.no_such_name  # noqa: B018


def test_importing_an_old_path_does_not_replace_the_function_on_the_package():
    with pytest.warns(DeprecationWarning):
        importlib.import_module("analysis.mediation")
    assert callable(analysis.mediation) and analysis.mediation.__name__ == "mediation"


@pytest.mark.parametrize(("package", "name"), [(p, n) for p, names in OLD_PACKAGE_NAMES.items() for n in names])
def test_old_names_of_modules_that_became_packages(package, name):
    module = importlib.import_module(package)
    with pytest.warns(DeprecationWarning, match=f"`{package}.{name}` is now"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(OLD_PACKAGE_NAMES[package][name]), name)


def test_a_renamed_function_warns_with_its_new_name():
    with pytest.warns(DeprecationWarning):
        factor = importlib.import_module("analysis.factor")
    with pytest.warns(DeprecationWarning, match="scale_dimensionality"):
        assert factor.dimensionality is analysis.scale_dimensionality


def test_renamed_parameter_maps_converts_and_refuses_both():
    @renamed_parameter(couple="dyad", alpha=("ci", lambda a: 1 - a, "ci = 1 - alpha"))
    def f(*, dyad=None, ci=0.95):
        return dyad, ci

    with pytest.warns(DeprecationWarning, match="`f\\(couple=...\\)` is now `dyad=`"):
        assert f(couple="c") == ("c", 0.95)
    with pytest.warns(DeprecationWarning, match="ci = 1 - alpha"):
        assert f(alpha=0.1) == (None, 0.9)
    with pytest.raises(ParameterError, match="both `couple=`"):
        f(couple="c", dyad="d")
    with pytest.raises(ParameterError, match="cannot be read"), pytest.warns(DeprecationWarning):
        f(alpha="x")


def test_the_connlab_command_points_at_the_current_module():
    import tomllib

    from conftest import PROJECT_ROOT

    target = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]["connlab"]
    module, _, func = target.partition(":")
    assert module not in OLD_MODULES and callable(getattr(importlib.import_module(module), func))
