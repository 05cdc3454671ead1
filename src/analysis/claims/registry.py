"""The claims registry: one YAML file per claim in ``analysis/claims/claim_registry/`` (fields in
its ``SCHEMA.md``), loaded and checked as `Claim`. Testing a claim on data is
`analysis.claims.replicate`; the verdict rules are `analysis.claims.verdicts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.claims import _claim_models
from analysis.exceptions import ClaimError
from analysis.yaml_files import read_yaml

__all__ = ["Claim", "load_claim", "list_claims"]

REGISTRY_DIR = Path(__file__).resolve().parent / "claim_registry"
KINDS = ("directional", "negligible", "replication", "reproduction")
DESIGNS = ("individual", "dyadic", "diary")
MODELS = tuple(_claim_models.ESTIMATORS)


@dataclass(frozen=True)
class Claim:
    """A claim read from its YAML file (see ``claim_registry/SCHEMA.md``).

    Parameters
    ----------
    id : str
        Claim id (the file name without ``.yaml`` for registry claims).
    statement : str
        The claim in one sentence.
    kind : {"directional", "negligible", "replication", "reproduction"}
        The verdict rule: a signed effect beyond a smallest effect size of interest, an effect
        within it, a published estimate tested on new data, or a published estimate recomputed
        on the same data.
    model : str
        The model that yields the estimate: ``"correlation"``, ``"regression"``,
        ``"logistic"``, ``"ordinal"``, ``"tobit"``, ``"mediation"``, ``"apim"``,
        ``"multilevel"`` or ``"alpha"``.
    design : {"individual", "dyadic", "diary"}
        The data the claim needs: one row per person, couples (dyad id and partner role), or
        days (a ``day`` role).
    citation : str
        APA reference of the claim's source.
    variables : dict
        ``{role: tuple of candidate column names}`` (``x``, ``y``, ``m``, ``w``, ...); the first
        candidate a data set holds is used. Role ``m`` may hold one tuple per mediator.
    covariates : tuple of tuple of str
        Candidate names of each covariate.
    formula : str or None
        Model formula with ``{role}`` placeholders; None: ``y ~ x + covariates``.
    term : str
        The coefficient the claim is about, with ``{role}`` placeholders (default ``"{x}"``).
    expect : dict
        ``direction`` (``"positive"``/``"negative"``), ``sesoi`` (smallest effect size of
        interest) and ``scale`` (``"std"``, ``"raw"`` or ``"r"``).
    original : dict
        Published values: ``estimate``, ``se`` (or ``n`` for a correlation; ``n`` and ``k`` for
        an alpha), ``decimals`` (as printed), ``ci``.
    options : dict
        Model options (``alpha`` of the verdict tests, ``n_boot``, ``seed``, ``where`` filters,
        ``indicators``, ``center``, ``random``, ``apim_model``, ``fit``, ...).
    source_note : str, optional
        Where in the source the numbers are (table, page), and how they were derived.
    path : str, optional
        The YAML file it was read from.

    See Also
    --------
    load_claim : Reads one.
    list_claims : The bundled registry.
    test_claim : Tests a claim on a data set.

    Examples
    --------
    >>> from analysis import load_claim
    >>> claim = load_claim("disclosure_trust")
    >>> claim.kind, claim.model, claim.design, claim.variables["x"], claim.expect["sesoi"]
    ('directional', 'correlation', 'individual', ('cpi_disclosure',), 0.1)
    """

    id: str
    statement: str
    kind: str
    model: str
    design: str
    citation: str
    variables: dict  #: role -> tuple of candidate names (mediators: role "m" may be a list of lists)
    covariates: tuple  #: tuple of candidate-name tuples
    formula: str | None
    term: str
    expect: dict  #: direction ("positive"/"negative"), sesoi, scale ("std"/"raw"/"r")
    original: dict  #: estimate, se, n, decimals, ci (published values)
    options: dict
    source_note: str = ""
    path: str = ""


def _fail(path, message):
    raise ClaimError(f"Claim file {path}: {message}")


def load_claim(claim: str | Path) -> Claim:
    """Read and check one claim: a registry id (``"acitelli_apim_actor"``) or a YAML path.

    Parameters
    ----------
    claim : str or Path
        A registry id (``list_claims()["id"]``), or the path of a claim YAML file (ending in
        ``.yaml`` or ``.yml``) written as ``claim_registry/SCHEMA.md`` describes.

    Returns
    -------
    Claim
        The checked claim: ``id``, ``statement``, ``kind``, ``model``, ``design``,
        ``citation``, ``variables``, ``covariates``, ``formula``, ``term``, ``expect``,
        ``original``, ``options``, ``source_note`` and ``path``.

    Raises
    ------
    ClaimError
        If the claim does not exist, cannot be read (`read_yaml`: not UTF-8 or YAML, a tag, too
        large or deeply nested, ...), lacks a required field (``id``, ``statement``, ``kind``,
        ``model``, ``design``, ``source``), has an unknown kind, model
        or design, a registry file whose ``id`` differs from its name, a directional or
        negligible claim without a positive ``expect.sesoi`` (and, directional, a
        ``direction``), a replication or reproduction without ``original.estimate`` (and, for a
        replication, ``original.se`` or ``original.n``), or no ``x`` and ``y`` (nor a
        ``formula``).

    See Also
    --------
    list_claims : The bundled registry.
    test_claim : Tests the claim on a data set.

    Examples
    --------
    >>> from analysis import load_claim
    >>> claim = load_claim("brennan_alpha_avoidance")
    >>> claim.kind, claim.model, claim.original["estimate"], claim.original["n"]
    ('replication', 'alpha', 0.94, 1086)
    """
    path = Path(claim) if str(claim).endswith((".yaml", ".yml")) else REGISTRY_DIR / f"{claim}.yaml"
    try:
        found = path.exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL character
        found = False
    if not found:
        known = ", ".join(sorted(p.stem for p in REGISTRY_DIR.glob("*.yaml")))
        raise ClaimError(f"No claim {str(claim)!r} (looked for {path}). Registry claims: {known}.")
    spec = read_yaml(path, what="claim file", error=ClaimError)
    if not isinstance(spec, dict):
        _fail(path, "must be a mapping of fields (id, statement, kind, model, ...).")
    for key in ("id", "statement", "kind", "model", "design", "source"):
        if key not in spec:
            _fail(path, f"missing field `{key}`.")
    for key, allowed in (("kind", KINDS), ("model", MODELS), ("design", DESIGNS)):
        if spec[key] not in allowed:
            _fail(path, f"`{key}` is {spec[key]!r}; use one of {', '.join(allowed)}.")
    if spec["id"] != path.stem and path.parent == REGISTRY_DIR:
        _fail(path, f"`id` {spec['id']!r} must equal the file name {path.stem!r}.")
    expect, original = dict(spec.get("expect") or {}), dict(spec.get("original") or {})
    if spec["kind"] in ("directional", "negligible"):
        if not (isinstance(expect.get("sesoi"), int | float) and expect["sesoi"] > 0):
            _fail(path, "a directional or negligible claim needs `expect.sesoi`, a positive number.")
        if spec["kind"] == "directional" and expect.get("direction") not in ("positive", "negative"):
            _fail(path, "a directional claim needs `expect.direction`: positive or negative.")
    if spec["kind"] in ("replication", "reproduction") and not isinstance(original.get("estimate"), int | float):
        _fail(path, "a replication or reproduction needs `original.estimate` (the published number).")
    if spec["kind"] == "replication" and not (original.get("se") or original.get("n")):
        _fail(path, "a replication needs `original.se` (or `original.n` for a correlation).")
    source = spec["source"] if isinstance(spec["source"], dict) else {"citation": str(spec["source"])}
    variables = {}
    for role, cands in (spec.get("variables") or {}).items():
        if role == "m" and cands and isinstance(cands[0], list):
            variables[role] = tuple(tuple(c) for c in cands)
        else:
            variables[role] = tuple([cands] if isinstance(cands, str) else cands)
    covariates = tuple(tuple([c] if isinstance(c, str) else c) for c in spec.get("covariates") or [])
    if spec["model"] != "alpha" and not spec.get("formula") and not {"x", "y"} <= set(variables):
        _fail(path, "give `variables` x and y, or a `formula`.")
    return Claim(id=str(spec["id"]), statement=str(spec["statement"]).strip(), kind=spec["kind"],
                 model=spec["model"], design=spec["design"], citation=str(source.get("citation", "")).strip(),
                 variables=variables, covariates=covariates, formula=spec.get("formula"),
                 term=str(spec.get("term", "{x}")), expect=expect, original=original,
                 options=dict(spec.get("options") or {}), source_note=str(source.get("note", "")).strip(),
                 path=str(path))  # fmt: skip


def list_claims() -> pd.DataFrame:
    """List the claims of the bundled registry.

    Returns
    -------
    pandas.DataFrame
        One row per claim, sorted by id: ``id``, ``kind``, ``model``, ``design``,
        ``statement``, ``citation``.

    Raises
    ------
    ClaimError
        If a registry file is malformed.

    See Also
    --------
    load_claim : One claim in full.
    load_study : A study of all (or some) registry claims on data sets.

    Examples
    --------
    >>> from analysis import list_claims
    >>> registry = list_claims()
    >>> registry.columns.tolist()
    ['id', 'kind', 'model', 'design', 'statement', 'citation']
    >>> sorted(set(registry["kind"]))
    ['directional', 'negligible', 'replication', 'reproduction']
    """
    rows = [load_claim(p) for p in sorted(REGISTRY_DIR.glob("*.yaml"))]
    return pd.DataFrame([{"id": c.id, "kind": c.kind, "model": c.model, "design": c.design,
                          "statement": c.statement, "citation": c.citation} for c in rows])  # fmt: skip
