"""One source of truth for versions.

pyproject.toml declares ranges (the lowest tested version of each dependency); constraints.txt pins the exact
tested set, transitive dependencies included, and is what `make` installs; environment.yml (conda) lists the
direct dependencies at the versions of constraints.txt. These tests check that the three agree.
"""

import re
import tomllib

import yaml
from conftest import PROJECT_ROOT
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def _project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]


def _pyproject_requirements() -> dict[str, Requirement]:
    project = _project()
    extras = project["optional-dependencies"]
    reqs = [Requirement(r) for r in project["dependencies"] + extras["test"] + extras["bench"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _constraint_lines() -> list[Requirement]:
    lines = []
    for raw in (PROJECT_ROOT / "constraints.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(Requirement(line))
    return lines


def _constraint_pins(python: str) -> dict[str, str]:
    """name -> exact version, for the constraint lines that apply on `python` (e.g. "3.12")."""
    pins = {}
    for req in _constraint_lines():
        if req.marker is None or req.marker.evaluate({"python_version": python, "python_full_version": python + ".0"}):
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def _environment_pins() -> dict[str, str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep:
            name, version = dep.split("=", 1)
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_is_a_range_with_a_lower_bound():
    for name, req in _pyproject_requirements().items():
        operators = {spec.operator for spec in req.specifier}
        assert ">=" in operators, f"{name}: give the lowest tested version as >= ({req})"
        assert not operators & {"==", "===", "~="}, f"{name}: exact versions belong in constraints.txt ({req})"


def test_constraints_pin_everything_exactly_once():
    seen = {}
    for req in _constraint_lines():
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"constraints.txt: {req} is not an exact pin"
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+]*", specs[0].version), req
        assert not req.extras and req.url is None, req
        key = (canonicalize_name(req.name), str(req.marker))
        assert key not in seen, f"constraints.txt: {req.name} twice"
        seen[key] = req


def test_constraints_satisfy_the_pyproject_ranges_on_every_python():
    reqs = _pyproject_requirements()
    for python in SUPPORTED_PYTHONS:
        pins = _constraint_pins(python)
        assert "connectionlab" not in pins
        for name, req in reqs.items():
            assert name in pins, f"constraints.txt has no pin for {name} (Python {python})"
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {req.specifier} (Python {python})")


def test_environment_yml_matches_constraints():
    env = _environment_pins()
    python = env.pop("python")
    assert python in SUPPORTED_PYTHONS
    pins = _constraint_pins(python)
    assert set(env) == set(_pyproject_requirements()), "environment.yml lists the packages of pyproject.toml"
    assert env == {name: pins.get(name) for name in env}, "environment.yml versions are those of constraints.txt"


def test_supported_pythons():
    requires = SpecifierSet(_project()["requires-python"])
    for python in SUPPORTED_PYTHONS:
        assert requires.contains(Version(python + ".0")), python
    assert not requires.contains(Version("3.10.13"))
    assert not requires.contains(Version("3.14.0"))


def test_make_installs_with_the_constraints():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if re.search(r"\$\(PIP\) install\b", line)]
    assert installs
    for line in installs:
        assert "-c constraints.txt" in line, f"Makefile installs without the constraints: {line.strip()}"
