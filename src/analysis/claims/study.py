"""Study files: which data sets (by codebook) are tested against which claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis.claims.registry import list_claims, load_claim
from analysis.exceptions import ClaimError
from analysis.paths import resolve

__all__ = ["StudyData", "Study", "load_study"]


# ---------------------------------------------------------------------------------------------
# Studies: data sets x claims
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyData:
    label: str
    data: str  #: data path or codebook path, as `load_dataset` takes it
    codebook: str | None
    aliases: dict = field(default_factory=dict)  #: candidate name -> column of this data set


@dataclass(frozen=True)
class Study:
    title: str
    datasets: tuple
    claims: tuple  #: claim ids or paths
    path: str = ""
    sha256: str = ""  #: of the study file (provenance)

    def provenance(self) -> dict:
        """Study file and claim files with their SHA-256, for a report's results."""
        from analysis.data.dataset import file_sha256

        files = {c: load_claim(c).path for c in self.claims}
        return {"study_file": self.path or None, "study_sha256": self.sha256 or None,
                "claims": {c: {"file": p, "sha256": file_sha256(p)} for c, p in files.items()}}


def load_study(study: str | Path | None = None, *, data: str | None = None, codebook: str | None = None) -> Study:
    """Read a study file (YAML: ``title``, ``datasets`` [each ``label``, ``data`` and/or
    ``codebook`` (paths relative to the study file), optional ``aliases``], ``claims``: ``all``
    or a list of ids). Without a file: every registry claim on one data set, `data` (default the
    demo survey)."""
    if study is None:
        from analysis.paths import DEMO_DIR

        target = data or str(DEMO_DIR)
        return Study(title="Registry claims on " + Path(target).name, claims=tuple(list_claims()["id"]),
                     datasets=(StudyData(Path(target).name, str(resolve(target)),
                                         str(resolve(codebook)) if codebook else None),))  # fmt: skip
    path = resolve(study)
    if not path.exists():
        raise ClaimError(f"Study file {path} does not exist. Give the path of a study YAML (see studies/).")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(spec.get("datasets"), list) or not spec["datasets"]:
        raise ClaimError(f"Study file {path}: `datasets` must be a non-empty list of data sets.")
    sets = []
    for i, entry in enumerate(spec["datasets"], 1):
        if not isinstance(entry, dict) or not (entry.get("data") or entry.get("codebook")):
            raise ClaimError(f"Study file {path}: data set {i} needs `data` or `codebook` (a path).")
        rel = {k: str((path.parent / entry[k]).resolve()) if entry.get(k) else None for k in ("data", "codebook")}
        sets.append(StudyData(str(entry.get("label", f"data set {i}")), rel["data"] or rel["codebook"],
                              rel["codebook"] if rel["data"] else None, dict(entry.get("aliases") or {})))  # fmt: skip
    claims = spec.get("claims", "all")
    ids = tuple(list_claims()["id"]) if claims == "all" else tuple(claims)
    for c in ids:
        load_claim(c if str(c).endswith((".yaml", ".yml")) else c)  # fail early on an unknown claim
    from analysis.data.dataset import file_sha256

    return Study(title=str(spec.get("title", path.stem)), datasets=tuple(sets), claims=ids, path=str(path),
                 sha256=file_sha256(path))
