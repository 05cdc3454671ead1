"""Names from before the layered layout (0.1), kept working for one release with a
DeprecationWarning that names the new place.

In 0.1 the package was one flat folder (``analysis.io``, ``analysis.regression``, ...). Importing
such a module path now gives a stand-in module whose attributes come from the modules that hold
those names today; the first import warns once. Renamed functions and parameters warn from the
function itself (see `renamed_parameter`). This module only resolves names given as strings
(``importlib``), so it adds no import edge between layers.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

from analysis.exceptions import ParameterError

REMOVED_IN = "0.3"

#: old flat module -> the modules that hold its names now (searched in order)
OLD_MODULES = {
    "analysis.io": ("analysis.data.dataset", "analysis.data.codebook"),
    "analysis.readers": ("analysis.data.readers",),
    "analysis.validate": ("analysis.data.validate", "analysis.data.ledger"),
    "analysis.privacy": ("analysis.data.privacy",),
    "analysis.codebook": ("analysis.data.codebook_draft",),
    "analysis.describe": ("analysis.data.describe",),
    "analysis.simulate": ("analysis.data.simulate",),
    "analysis.reshape": ("analysis.data.dyad_reshape", "analysis.data.diary_reshape", "analysis.exceptions"),
    "analysis.scales": ("analysis.scoring.scales", "analysis.scoring.attachment", "analysis.data.instrument_library"),
    "analysis.reliability": ("analysis.psychometrics.reliability", "analysis.psychometrics.by_instrument"),
    "analysis.factor": ("analysis.psychometrics.efa", "analysis.psychometrics.factor_retention",
                        "analysis.psychometrics.omega", "analysis.psychometrics.by_instrument"),
    "analysis.sem": ("analysis.psychometrics.sem", "analysis.psychometrics.by_instrument"),
    "analysis.regression": ("analysis.models.regression", "analysis.models.limited_outcomes"),
    "analysis.effect_sizes": ("analysis.models.effect_sizes",),
    "analysis.moderation": ("analysis.models.process_moderation",),
    "analysis.mediation": ("analysis.models.process_mediation",),
    "analysis.dyadic": ("analysis.models.dyadic", "analysis.models.dyadic_diagnostics"),
    "analysis.multilevel": ("analysis.models.multilevel", "analysis.models.dyadic_diary",
                            "analysis.data.diary_variables"),
    "analysis.meta": ("analysis.models.meta",),
    "analysis.profiles": ("analysis.models.profiles",),
    "analysis.replication": ("analysis.claims.verdicts", "analysis.claims.replication_stats"),
    "analysis.plots": ("analysis.report.figures",),
    "analysis.render": ("analysis.runner.render",),
    "analysis.cli": ("analysis.runner.cli",),
    "analysis.provenance": ("analysis.runner.provenance",),
}  # fmt: skip

#: 0.1 modules that are packages now: their public names -> the module that holds each today
OLD_PACKAGE_NAMES = {
    "analysis.report": {
        **dict.fromkeys(["HtmlBlock", "apa_table", "apa_paragraph", "format_number", "format_value", "format_p",
                         "format_ci", "format_stat"], "analysis.apa"),
        "dataset_notice": "analysis.report.notices",
        "Run": "analysis.runner.records",
        "start_run": "analysis.runner.records",
    },
    "analysis.claims": {
        **dict.fromkeys(["Claim", "load_claim", "list_claims", "REGISTRY_DIR"], "analysis.claims.registry"),
        **dict.fromkeys(["Study", "StudyData", "load_study"], "analysis.claims.study"),
        **dict.fromkeys(["ClaimTest", "Scorecard", "scorecard", "test_claim", "short_citation", "NOT_TESTABLE"],
                        "analysis.claims.replicate"),
    },
    "analysis.runner": dict.fromkeys(["Parameter", "NotebookSpec", "NotebookRun", "read_parameters",
                                      "discover_notebooks", "parse_overrides", "run_suite", "KERNEL_NAME"],
                                     "analysis.runner.suite"),
}  # fmt: skip

#: (old module, old name) -> new name, for functions renamed in 0.2
RENAMED = {
    ("analysis.factor", "dimensionality"): "scale_dimensionality",
}


def _resolve(old: str, name: str, homes: tuple[str, ...], *, warn: bool = True):
    new_name = RENAMED.get((old, name), name)
    warn = warn or new_name != name
    for home in homes:
        module = importlib.import_module(home)
        if hasattr(module, new_name):
            value = getattr(module, new_name)
            where = f"{home}.{new_name}"
            if warn:
                warnings.warn(f"`{old}.{name}` is now `{where}`; the old name stops working in {REMOVED_IN}.",
                              DeprecationWarning, stacklevel=3)  # fmt: skip
            return value
    raise AttributeError(f"module {old!r} has no attribute {name!r} (its names moved to {', '.join(homes)})")


def package_getattr(package: str):
    """A module ``__getattr__`` for a package that replaced a 0.1 module of the same name: the
    0.1 names resolve (with a warning); anything else is an AttributeError as usual."""
    names = OLD_PACKAGE_NAMES[package]

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return _resolve(package, name, (names[name],))

    return __getattr__


class _OldModule(types.ModuleType):
    """Stand-in for a 0.1 module path; attributes resolve to today's modules (with a warning)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _resolve(self.__name__, name, OLD_MODULES[self.__name__], warn=False)  # the import warned
        setattr(self, name, value)
        return value


class _OldModuleLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return _OldModule(spec.name)

    def exec_module(self, module):
        homes = ", ".join(f"`{h}`" for h in OLD_MODULES[module.__name__])
        warnings.warn(f"The module `{module.__name__}` is now {homes}; the old path stops working in "
                      f"{REMOVED_IN}. Import from `analysis` (e.g. `from analysis import ols`) or the new module.",
                      DeprecationWarning, stacklevel=2)  # fmt: skip


class _OldModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in OLD_MODULES:
            return importlib.machinery.ModuleSpec(fullname, _OldModuleLoader(), origin="deprecated 0.1 path")
        return None


class _Package(types.ModuleType):
    """Class of the `analysis` package: importing an old module path (``analysis.mediation``) must
    not replace the public function of the same name on the package."""

    def __setattr__(self, name, value):
        if isinstance(value, _OldModule):
            return
        super().__setattr__(name, value)


def install(package: types.ModuleType) -> None:
    """Called once by ``analysis/__init__``: old module paths resolve, and stay off the package."""
    if not any(isinstance(f, _OldModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(_OldModuleFinder())
    package.__class__ = _Package


def renamed_parameter(**renames):
    """Decorator: accept a 0.1 keyword for its 0.2 name, with a DeprecationWarning.

    ``@renamed_parameter(couple="dyad")`` maps ``couple=`` to ``dyad=``;
    ``@renamed_parameter(alpha=("ci", lambda a: 1 - a, "ci = 1 - alpha"))`` also converts the
    value (the third item says how, in the warning).
    """

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            for old, rule in renames.items():
                if old not in kwargs:
                    continue
                new, convert = (rule, None) if isinstance(rule, str) else rule[:2]
                if new in kwargs:
                    raise ParameterError(f"{func.__name__}() got both `{old}=` (the 0.1 name) and `{new}=`; "
                                         f"pass only `{new}=`.")  # fmt: skip
                shown = f"`{new}=`" if convert is None else f"`{new}=` ({rule[2] if len(rule) > 2 else 'converted'})"
                warnings.warn(f"`{func.__name__}({old}=...)` is now {shown}; the old name stops working in "
                              f"{REMOVED_IN}.", DeprecationWarning, stacklevel=2)  # fmt: skip
                value = kwargs.pop(old)
                try:
                    kwargs[new] = value if convert is None else convert(value)
                except (TypeError, ValueError):
                    raise ParameterError(f"{func.__name__}(): `{old}={value!r}` cannot be read; pass `{new}=` "
                                         "instead (see the docstring).") from None  # fmt: skip
            return func(*args, **kwargs)

        return inner

    return wrap


def positional_roles(*names):
    """Decorator: accept roles that 0.1 took by position (`center_within`, `lag`) and map them to
    the keywords `names`, with a DeprecationWarning. Used inside `renamed_parameter` (the warning
    points at the caller, two frames up)."""

    def wrap(func):
        @functools.wraps(func)
        def inner(data, *args, **kwargs):
            if args:
                if len(args) > len(names):
                    raise ParameterError(f"{func.__name__}() takes `data` by position and the rest by name "
                                         f"({', '.join(f'{n}=' for n in names)}), but {len(args) + 1} positional "
                                         "arguments were passed.")  # fmt: skip
                given = dict(zip(names, args, strict=False))
                both = [n for n in given if n in kwargs]
                if both:
                    raise ParameterError(f"{func.__name__}() got `{both[0]}` by position and by name; pass it "
                                         f"only by name (`{both[0]}=`).")  # fmt: skip
                shown = ", ".join(f"{n}=..." for n in given)
                warnings.warn(f"Positional roles in `{func.__name__}()` are deprecated: call `{func.__name__}(data, "
                              f"{shown})`; positional roles stop working in {REMOVED_IN}.",
                              DeprecationWarning, stacklevel=3)  # fmt: skip
                kwargs.update(given)
            return func(data, **kwargs)

        return inner

    return wrap
