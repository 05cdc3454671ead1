"""The instrument library: one YAML file per instrument in ``analysis/data/instruments/`` (items,
response range, reverse keys, scores, scoring rule, cut-offs, citation; fields in its
``SCHEMA.md``), loaded and checked as `Instrument`. Scoring with them is `analysis.scoring`.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from analysis._checks import _check_one_of
from analysis.exceptions import InstrumentError
from analysis.paths import INSTRUMENTS_DIR
from analysis.yaml_files import read_yaml

__all__ = ["Item", "Instrument", "load_instrument", "score_labels", "list_instruments"]


@dataclass(frozen=True)
class Item:
    """One item: published id, response range, keying and (if public domain) its text.

    Parameters
    ----------
    id : str
        The item's number or id in the publication (``"1"``, ``"3a"``).
    min, max : float
        Lowest and highest response option (the instrument's ``response`` unless the item
        overrides it).
    reverse : bool, default False
        True for a reverse-keyed item (scored ``min + max - answer``).
    text : str, optional
        The item's wording, given only for public-domain instruments.

    See Also
    --------
    Instrument : Holds the items of an instrument.

    Examples
    --------
    >>> from analysis import load_instrument
    >>> load_instrument("ecr_s").item("1")
    Item(id='1', min=1.0, max=7.0, reverse=True, text=None)
    """

    id: str
    min: float
    max: float
    reverse: bool = False
    text: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A published (or project) instrument as defined by its YAML file.

    Parameters
    ----------
    id : str
        Instrument id, the file name without ``.yaml`` (``"ecr_s"``).
    name : str
        Full name (``"Experiences in Close Relationships - Short Form (ECR-S)"``).
    citation : str
        APA reference of the publication that defines it.
    scoring : {"mean", "sum"}
        How item responses combine into a score.
    items : tuple of Item
        The items, in the published order.
    scores : dict of str to tuple of str
        ``{score name: item ids}`` (a total score, subscales).
    cutoffs : dict
        Published cut-off bands by score (empty when there are none).
    construct : str, optional
        What the instrument measures.
    key_source : str, optional
        Where the scoring key was checked (publication, page).
    source_file : str, optional
        The YAML file it was read from.
    short_name : str, optional
        Short label for tables (``"ECR-S"``); default the abbreviation in parentheses at the end
        of `name`, else `id`.

    See Also
    --------
    load_instrument : Reads one.
    list_instruments : The bundled instruments.
    score_instruments : Scores every instrument of a data set.

    Examples
    --------
    >>> from analysis import load_instrument
    >>> ecr_s = load_instrument("ecr_s")
    >>> ecr_s.short_name, ecr_s.scoring, len(ecr_s.items), list(ecr_s.scores)
    ('ECR-S', 'mean', 12, ['anxiety', 'avoidance'])
    >>> ecr_s.scores["anxiety"]
    ('2', '4', '6', '8', '10', '12')
    """

    id: str
    name: str
    citation: str
    scoring: str
    items: tuple[Item, ...]
    scores: dict[str, tuple[str, ...]]
    cutoffs: dict
    construct: str = ""
    key_source: str = ""
    source_file: str = ""
    short_name: str = ""

    @property
    def item_ids(self) -> list[str]:
        """The item ids, in the published order."""
        return [item.id for item in self.items]

    def item(self, item_id: str) -> Item:
        """Return one item by its id.

        Parameters
        ----------
        item_id : str
            The item id (a number is compared as text).

        Returns
        -------
        Item
            The item.

        Raises
        ------
        InstrumentError
            If the instrument has no such item.
        """
        for item in self.items:
            if item.id == str(item_id):
                return item
        raise InstrumentError(f"Instrument {self.id!r} has no item {item_id!r}; items are {self.item_ids}.")


def _instrument_path(name: str | Path) -> Path:
    path = Path(name)
    if path.suffix in {".yaml", ".yml"}:
        return path
    candidate = INSTRUMENTS_DIR / f"{name}.yaml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml")))
        raise InstrumentError(f"No instrument named {name!r}. Known instruments: {known}.")
    return candidate


@functools.lru_cache(maxsize=128)
def _read_yaml(path: str, mtime_ns: int):
    """Parsed YAML of an instrument file (`read_yaml`), cached by path and modification time."""
    return read_yaml(path, what="instrument file", error=InstrumentError)


def load_instrument(name: str | Path) -> Instrument:
    """Read an instrument definition by id (``"ecr_s"``) or from a YAML file path.

    Parameters
    ----------
    name : str or Path
        A bundled instrument's id (``list_instruments()["id"]``), or the path of a YAML file
        written as described in ``analysis/data/instruments/SCHEMA.md``. ``"<id>_p<k>"`` is
        partner k's set of that instrument's items in a file with one row per couple
        (`Dataset.instruments`): the same definition, with that id and names.

    Returns
    -------
    Instrument
        The checked definition: ``id``, ``name``, ``citation``, ``scoring``, ``items`` (with
        ranges and keying), ``scores``, ``cutoffs``, ``construct``, ``key_source``,
        ``source_file`` and ``short_name``.

    Raises
    ------
    InstrumentError
        If no bundled instrument has that id, or the file cannot be read or is malformed: a
        required field missing (``id``, ``name``, ``citation``, ``response``, ``scoring``,
        ``items``, ``scores``), a scoring rule other than mean or sum, an item whose minimum is
        not below its maximum, an item id listed twice, or a score naming unknown items. The
        message names the file and the field.

    See Also
    --------
    list_instruments : The bundled instruments.
    score_instruments : Scores instruments in a data set.

    Notes
    -----
    Files are parsed once and cached by path and modification time; each call returns a new
    `Instrument`.

    Examples
    --------
    >>> from analysis import load_instrument
    >>> ecr_s = load_instrument("ecr_s")
    >>> [item.id for item in ecr_s.items if item.reverse]
    ['1', '5', '8', '9']
    """
    partner = re.fullmatch(r"(.+)_p(\d+)", str(name)) if isinstance(name, str) else None
    if partner and not (INSTRUMENTS_DIR / f"{name}.yaml").exists():  # one partner's set in a couples file
        base = load_instrument(partner.group(1))
        k = partner.group(2)
        return replace(base, id=name, name=f"{base.name}, partner {k}", short_name=f"{base.short_name} partner {k}")
    path = _instrument_path(name)
    try:
        spec = copy.deepcopy(_read_yaml(str(path.resolve()), path.stat().st_mtime_ns))
    except OSError as exc:  # read_yaml's own problems are InstrumentErrors already
        raise InstrumentError(f"Cannot read instrument file {path}: {exc}") from None
    where = f"instrument file {path}"
    for field in ("id", "name", "citation", "response", "scoring", "items", "scores"):
        if not isinstance(spec, dict) or field not in spec:
            raise InstrumentError(f"{where} has no `{field}` field (see instruments/SCHEMA.md).")
    _check_one_of(f"scoring` in `{path.name}", spec["scoring"], ("mean", "sum"))
    lo, hi = spec["response"].get("min"), spec["response"].get("max")
    items = []
    for raw in spec["items"]:
        item = Item(
            id=str(raw["id"]),
            min=float(raw.get("min", lo)),
            max=float(raw.get("max", hi)),
            reverse=bool(raw.get("reverse", False)),
            text=raw.get("text"),
        )
        if not item.min < item.max:
            raise InstrumentError(f"{where}: item {item.id} has range {item.min}..{item.max}.")
        items.append(item)
    ids = {item.id for item in items}
    if len(ids) != len(items):
        raise InstrumentError(f"{where} lists an item id twice.")
    scores = {}
    for score, members in spec["scores"].items():
        members = tuple(str(m) for m in members)
        unknown = [m for m in members if m not in ids]
        if unknown:
            raise InstrumentError(f"{where}: score {score!r} names unknown items {unknown}.")
        scores[str(score)] = members
    return Instrument(
        id=str(spec["id"]),
        name=str(spec["name"]),
        citation=str(spec["citation"]).strip(),
        scoring=spec["scoring"],
        items=tuple(items),
        scores=scores,
        cutoffs=spec.get("cutoffs") or {},
        construct=str(spec.get("construct", "")),
        key_source=str(spec.get("key_source", "")).strip(),
        source_file=str(path),
        short_name=str(spec.get("short_name") or _abbreviation(spec["name"]) or spec["id"]),
    )


def _abbreviation(name: str) -> str:
    """``"... Short Form (ECR-S)"`` -> ``"ECR-S"``."""
    match = re.search(r"\(([^()]+)\)\s*$", name)
    return match.group(1) if match else ""


def score_labels(instruments) -> dict[str, str]:
    """Make readable labels for instrument ids and their score columns, for tables and figures.

    Parameters
    ----------
    instruments : iterable of str
        Instrument ids (e.g. the keys of ``Dataset.instruments()``).

    Returns
    -------
    dict
        ``{instrument id: short name, "<id>_<score>": "<short name> <score>"}`` for every
        score of each instrument (underscores in score names become spaces). Ids without a
        definition file are left out.

    See Also
    --------
    score_instruments : Makes the ``<id>_<score>`` columns.

    Examples
    --------
    >>> from analysis import score_labels
    >>> score_labels(["ecr_s", "not_an_instrument"])
    {'ecr_s': 'ECR-S', 'ecr_s_anxiety': 'ECR-S anxiety', 'ecr_s_avoidance': 'ECR-S avoidance'}
    """
    labels = {}
    for ins_id in instruments:
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue  # no definition file: ids stay as they are
        labels[ins.id] = ins.short_name
        for score in ins.scores:
            labels[f"{ins.id}_{score}"] = f"{ins.short_name} {score.replace('_', ' ')}"
    return labels


def list_instruments(*, ids=None) -> pd.DataFrame:
    """List the bundled instruments, or the instruments a data set holds.

    Parameters
    ----------
    ids : iterable of str, optional
        Instrument ids to list (e.g. the keys of `Dataset.instruments`, partner sets
        ``"<id>_p<k>"`` included); default: every bundled instrument.

    Returns
    -------
    pandas.DataFrame
        One row per instrument, sorted by id: ``id``, ``name``, ``n_items``,
        ``response_range`` (lowest to highest response option over the items, e.g. ``"1-7"``),
        ``scoring`` (``mean`` or ``sum``), ``scores`` (comma-separated names) and ``citation``.

    Raises
    ------
    InstrumentError
        If a bundled file is malformed, or an id in `ids` is not an instrument.

    See Also
    --------
    load_instrument : One instrument in full.

    Examples
    --------
    >>> from analysis import list_instruments
    >>> catalogue = list_instruments()
    >>> catalogue.loc[catalogue["id"] == "ecr_s", ["n_items", "response_range", "scoring", "scores"]].to_dict("records")
    [{'n_items': 12, 'response_range': '1-7', 'scoring': 'mean', 'scores': 'anxiety, avoidance'}]
    >>> list(list_instruments(ids=["prqc_p2", "ecr_s"])["id"])
    ['ecr_s', 'prqc_p2']
    """
    sources = sorted(INSTRUMENTS_DIR.glob("*.yaml")) if ids is None else sorted(str(i) for i in ids)
    rows = []
    for source in sources:
        ins = load_instrument(source)
        lo = min(i.min for i in ins.items)
        hi = max(i.max for i in ins.items)
        rows.append(
            {
                "id": ins.id,
                "name": ins.name,
                "n_items": len(ins.items),
                "response_range": f"{lo:g}-{hi:g}",
                "scoring": ins.scoring,
                "scores": ", ".join(ins.scores),
                "citation": ins.citation,
            }
        )
    return pd.DataFrame(rows, columns=["id", "name", "n_items", "response_range", "scoring", "scores", "citation"])
