"""The multiverse a report shows (notebook ``07_multiverse``): read from a spec file, drafted from a
data set's codebook, or loaded from the folder of a finished ``connlab multiverse`` run."""

from __future__ import annotations

from pathlib import Path

from analysis.exceptions import ParameterError
from analysis.paths import resolve

__all__ = ["multiverse_for_report"]


def multiverse_for_report(spec: str = "", *, results: str = "", data: str | None = None, codebook: str | None = None,
                          resamples: int = 0, seed: int = 0, data_root: str | None = None):  # fmt: skip
    """The result of a report's multiverse, from whichever source the parameters name: the
    stored results of a finished run (`results`), else a spec file fitted here (`spec`), else a
    multiverse drafted from `data` and fitted here.

    Parameters
    ----------
    spec : str, default ""
        A multiverse YAML file (`analysis.claims.multiverse.read_multiverse`); "" drafts one from
        `data` and its codebook (`draft_multiverse`: the codebook's outcome and predictor roles, its
        exclusion rules on and off, minimum items answered, covariate sets).
    results : str, default ""
        The output folder of a ``connlab multiverse`` run: its stored results are loaded
        (`analysis.runner.distributed.read_multiverse_results`), nothing is fitted; `resamples`
        and `seed` are then those of that run. "" fits the multiverse here, in this process.
    data, codebook : str, optional
        The data set to draft from when `spec` and `results` are "" (a spec file names its own
        data set).
    resamples : int, default 0
        Null resamples for the inference; 0: the spec's own (its ``resamples``, default 500).
    seed : int, default 0
        Seed of the resamples; 0: the spec's own ``seed``.
    data_root : str, optional
        Folder where a spec's relative ``data:`` path is looked up after the spec's own folder.

    Returns
    -------
    MultiverseResult
        ``.specifications``, ``.summary``, ``.inference``, ``.decision_importance``, ``.null``
        and ``.parameters`` (spec, title, data, codebook, effect, data hash, seed, resamples,
        ci, decisions).

    Raises
    ------
    ParameterError
        Neither `spec`, `results` nor `data` given, a negative `resamples`, or what the spec,
        the data set or the stored run get wrong (the message names the file and the fix).

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.runner.multiverse_report import multiverse_for_report
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = multiverse_for_report(data=str(write_demo_survey(tmp, n_couples=30, seed=1)), resamples=5)
    >>> int(result.summary["n_specifications"].iloc[0]) <= 48, result.parameters["resamples"]
    (True, 5)
    >>> multiverse_for_report()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    analysis.exceptions.ParameterError: No multiverse: pass `spec` (a multiverse YAML file), ...
    """
    from analysis.claims.multiverse import draft_multiverse, read_multiverse, run_multiverse

    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 0:
        raise ParameterError(f"`resamples` must be a whole number >= 0 (0: the spec's own), not {resamples!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"`seed` must be a whole number (0: the spec's own), not {seed!r}.")
    if results:
        from analysis.runner.distributed import read_multiverse_results

        folder = resolve(results)
        if not Path(folder).is_dir():
            raise ParameterError(f"`results`: {results} is not a folder. Pass the --out folder of a `connlab "
                                 "multiverse` run, or results=\"\" to fit the multiverse here.")  # fmt: skip
        return read_multiverse_results(folder, spec=resolve(spec) if spec else None, data_root=data_root)
    if spec:
        mv = read_multiverse(resolve(spec), data_root=data_root)
    elif data:
        draft = draft_multiverse(resolve(data), codebook=resolve(codebook) if codebook else None, data_root=data_root)
        mv = read_multiverse(draft, data_root=data_root)
    else:
        raise ParameterError("No multiverse: pass `spec` (a multiverse YAML file), `results` (the folder of a "
                             "`connlab multiverse` run) or `data` (a data set to draft one from).")  # fmt: skip
    return run_multiverse(mv, resamples=resamples or None, seed=seed or None)
