"""Study files: which data sets (by codebook) are tested against which claims.

A study is read here (`load_study`); `analysis.claims.replicate.scorecard` runs it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from analysis.claims.registry import list_claims, load_claim
from analysis.data.codebook import is_safe_name
from analysis.exceptions import ClaimError
from analysis.paths import resolve
from analysis.yaml_files import read_yaml

__all__ = ["StudyData", "Study", "load_study"]


STUDY_KEYS = ("title", "datasets", "claims")
DATA_KEYS = ("label", "data", "codebook", "aliases")


def _kind(value) -> str:
    """What a wrongly typed value is, in words."""
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"true/false ({shown})"
    kind = {dict: "a mapping", list: "a list", str: "text"}.get(type(value), "a number")
    return f"{kind} ({shown})"


def _check_keys(where: str, spec: dict, known: tuple[str, ...], level: str) -> None:
    """Unknown keys are notes, except one that looks like a misspelling of a key we read."""
    for key in spec:
        close = difflib.get_close_matches(key, known, 1, 0.8) if isinstance(key, str) and key not in known else []
        if close:
            raise ClaimError(f"{where}: unknown {level} key {key!r}: did you mean `{close[0]}`? Keys of a {level}: "
                             f"{', '.join(known)}.")  # fmt: skip


def _located(folder: Path, relative: str) -> Path:
    """`relative` from the study file's `folder`; when nothing is there, from the first data root
    (``--data-root``) that has it, so a study kept apart from its data (an installed package's
    example, a copy made by ``connlab init``) finds the data where the user keeps them."""
    here = (folder / relative).resolve()
    if here.exists() or Path(relative).is_absolute():
        return here
    from analysis.paths import data_roots

    return next((root / relative for root in data_roots() if (root / relative).exists()), here)


def _study_data(where: str, path: Path, i: int, entry) -> StudyData:
    """One checked `datasets` entry, with paths made absolute (relative to the study file)."""
    if not isinstance(entry, dict) or not (entry.get("data") or entry.get("codebook")):
        raise ClaimError(f"{where} needs `data` or `codebook` (a path), e.g. {{label: pilot, data: "
                         f"pilot/codebook.yaml}}; not {_kind(entry)}.")  # fmt: skip
    _check_keys(where, entry, DATA_KEYS, "data set")
    for key in ("data", "codebook"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip() or "\0" in value):
            raise ClaimError(f"{where}: `{key}` must be a path (text) relative to the study file, e.g. {key}: "
                             f"pilot/codebook.yaml; not {_kind(value)}.")  # fmt: skip
    label = entry.get("label")
    if label is not None and not isinstance(label, str | int | float):
        raise ClaimError(f"{where}: `label` must be text, e.g. label: pilot; not {_kind(label)}.")
    aliases = entry.get("aliases")
    if aliases is not None and not (isinstance(aliases, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                                      for k, v in aliases.items())):
        raise ClaimError(f"{where}: `aliases` must map a name the claims use to a column of this data set, e.g. "
                         f"aliases: {{cpi_disclosure: disclosure}}; not {_kind(aliases)}.")  # fmt: skip
    rel = {k: str(_located(path.parent, entry[k])) if entry.get(k) else None for k in ("data", "codebook")}
    return StudyData(str(label if label is not None else f"data set {i}"), rel["data"] or rel["codebook"],
                     rel["codebook"] if rel["data"] else None, dict(aliases or {}))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Studies: data sets x claims
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyData:
    """One data set of a study: its label, where it is, and names to use for claim variables.

    Parameters
    ----------
    label : str
        Name of the data set in the scorecard.
    data : str
        Data path or codebook path, as `load_dataset` takes it.
    codebook : str or None
        Codebook path when `data` is a data file or folder (None: found beside the data).
    aliases : dict, optional
        ``{candidate name: column}``: where this data set holds a variable that claims name
        otherwise.

    See Also
    --------
    Study : Holds one per data set.

    Examples
    --------
    >>> from analysis.claims.study import StudyData
    >>> StudyData("pilot", "/data/pilot/codebook.yaml", None, {"cpi_disclosure": "disclosure"}).label
    'pilot'
    """

    label: str
    data: str  #: data path or codebook path, as `load_dataset` takes it
    codebook: str | None
    aliases: dict = field(default_factory=dict)  #: candidate name -> column of this data set


@dataclass(frozen=True)
class Study:
    """A study: the data sets and the claims to test on each of them.

    Parameters
    ----------
    title : str
        Title of the study (the scorecard's).
    datasets : tuple of StudyData
        The data sets.
    claims : tuple of str
        Claim ids or claim file paths.
    path : str, optional
        The study file ("" for a study made without one).
    sha256 : str, optional
        SHA-256 of the study file, for provenance.

    See Also
    --------
    load_study : Makes it.
    scorecard : Tests its claims on its data sets.

    Examples
    --------
    >>> from analysis import load_study
    >>> study = load_study()  # every registry claim on the demo survey
    >>> study.title, len(study.datasets), "disclosure_trust" in study.claims
    ('Registry claims on demo_survey', 1, True)
    """

    title: str
    datasets: tuple
    claims: tuple  #: claim ids or paths
    path: str = ""
    sha256: str = ""  #: of the study file (provenance)

    def provenance(self) -> dict:
        """Return the study file and claim files with their SHA-256, for a report's results.

        Returns
        -------
        dict
            ``study_file`` and ``study_sha256`` (None without a study file) and ``claims``:
            ``{claim: {"file": path, "sha256": digest}}``.
        """
        from analysis.data.dataset import file_sha256

        files = {c: load_claim(c).path for c in self.claims}
        return {"study_file": self.path or None, "study_sha256": self.sha256 or None,
                "claims": {c: {"file": p, "sha256": file_sha256(p)} for c, p in files.items()}}


def load_study(study: str | Path | None = None, *, data: str | None = None, codebook: str | None = None) -> Study:
    """Read a study file, or make a study of every registry claim on one data set.

    Parameters
    ----------
    study : str or Path, optional
        A study YAML file: ``title``, ``datasets`` (a list; each with ``label``, ``data``
        and/or ``codebook`` as paths relative to the study file, and optional ``aliases``) and
        ``claims`` (``all``, the default, or a list of claim ids or files). A relative path is
        taken from the project root. None: no file; see `data`.
    data : str, optional
        Without `study`: the data set to test every registry claim on (default the demo survey,
        ``data/raw/demo_survey``). Ignored with `study`.
    codebook : str, optional
        Without `study`: the codebook of `data`, when it is not found beside the data. Ignored
        with `study`.

    Returns
    -------
    Study
        ``title``, ``datasets`` (`StudyData` each: ``label``, ``data``, ``codebook``,
        ``aliases``, with absolute paths), ``claims`` (ids), ``path`` and ``sha256`` of the
        study file.

    Raises
    ------
    ClaimError
        If the study file does not exist or cannot be read (`read_yaml`: a folder, not UTF-8,
        not YAML, a ``!!python`` tag, too large or too deeply nested, ...), is empty or not a
        mapping, ``datasets`` is not a non-empty list, a data set has neither ``data`` nor
        ``codebook`` or one that is not a path (text), ``title``, ``label`` or ``aliases`` has
        the wrong type, ``claims`` is neither ``all`` nor a list of claim ids or files, a key
        looks like a misspelling of one it reads, or a listed claim cannot be loaded. The message
        names the file and the field.

    See Also
    --------
    scorecard : Runs the study.
    list_claims : The registry claims.

    Notes
    -----
    Data sets are not loaded here (`scorecard` loads them), so a study can be read before its
    data exist; the claims are loaded once to fail early on an unknown id.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_study
    >>> text = '''
    ... title: Trust in two samples
    ... datasets:
    ...   - {label: pilot, data: pilot/codebook.yaml}
    ...   - {label: main, data: main/survey.csv, aliases: {cpi_disclosure: disclosure}}
    ... claims: [disclosure_trust, disclosure_intimacy]
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "study.yml"
    ...     _ = path.write_text(text)
    ...     study = load_study(path)
    >>> study.title, [d.label for d in study.datasets], study.claims
    ('Trust in two samples', ['pilot', 'main'], ('disclosure_trust', 'disclosure_intimacy'))
    >>> study.datasets[1].aliases
    {'cpi_disclosure': 'disclosure'}
    """
    if study is None:
        from analysis.paths import DEMO_DIR

        target = data or str(DEMO_DIR)
        return Study(title="Registry claims on " + Path(target).name, claims=tuple(list_claims()["id"]),
                     datasets=(StudyData(Path(target).name, str(resolve(target)),
                                         str(resolve(codebook)) if codebook else None),))  # fmt: skip
    path = resolve(study)
    if not path.exists():
        raise ClaimError(f"Study file {path} does not exist. Give the path of a study YAML (see studies/).")
    spec = read_yaml(path, what="study file", error=ClaimError)
    where = f"Study file {path}"
    if not isinstance(spec, dict):
        got = "nothing" if spec is None else _kind(spec)
        raise ClaimError(f"{where} must hold `title`, `datasets` and `claims` (`key: value` lines, see studies/); "
                         f"it holds {got}.")  # fmt: skip
    _check_keys(where, spec, STUDY_KEYS, "study")
    title = spec.get("title")
    if title is not None and not isinstance(title, str):
        raise ClaimError(f"{where}: `title` must be text; not {_kind(title)}. Put it in quotes.")
    if not isinstance(spec.get("datasets"), list) or not spec["datasets"]:
        raise ClaimError(f"{where}: `datasets` must be a non-empty list of data sets, e.g. datasets: [{{label: pilot, "
                         f"data: pilot/codebook.yaml}}]; not {_kind(spec.get('datasets'))}.")  # fmt: skip
    sets = [_study_data(f"{where}: data set {i}", path, i, entry) for i, entry in enumerate(spec["datasets"], 1)]
    claims = spec.get("claims", "all")
    if claims != "all" and not (isinstance(claims, list) and claims and all(isinstance(c, str) and c.strip()
                                                                            for c in claims)):
        raise ClaimError(f"{where}: `claims` must be `all` or a non-empty list of claim ids or claim files, e.g. "
                         f"claims: [disclosure_trust]; not {_kind(claims)}.")  # fmt: skip
    for c in claims if isinstance(claims, list) else []:
        if not (c.endswith((".yaml", ".yml")) and "\0" not in c) and not is_safe_name(c):
            raise ClaimError(f"{where}: {_kind(c)} in `claims` is neither a claim id (letters, digits, '_', '-' and "
                             "'.') nor a claim file (ending in .yaml); list_claims() shows the ids.")  # fmt: skip
    ids = tuple(list_claims()["id"]) if claims == "all" else tuple(claims)
    for c in ids:
        load_claim(c)  # fail early on an unknown claim
    from analysis.data.dataset import file_sha256

    return Study(title=title or path.stem, datasets=tuple(sets), claims=ids, path=str(path),
                 sha256=file_sha256(path))
