"""What a report needs around its linear models: the standard-error choice (cluster-robust by couple
when the data have a couple id) and the equations of a PROCESS model refitted as OLS regressions, so
that each gets the assumption checks of `analysis.models.regression_diagnostics`. Kept apart from
`regression` (which `regression_diagnostics` serves) so that the imports run one way.
"""

from __future__ import annotations

import pandas as pd

from analysis.exceptions import ParameterError
from analysis.models.regression import ols

__all__ = ["standard_errors", "process_equations"]


def standard_errors(robust: str | None, *, dyad: str | None) -> dict:
    """The ``robust`` and ``dyad`` arguments of :func:`analysis.ols` for a report's choice.

    Parameters
    ----------
    robust : {"cluster", "HC3", None}
        The standard errors asked for: cluster-robust by couple, heteroscedasticity-consistent,
        or classical.
    dyad : str or None
        The couple id column (None when the data have none).

    Returns
    -------
    dict
        ``{"robust": ..., "dyad": ...}``: cluster-robust by `dyad` when asked for and the data
        have a couple id; HC3 when "cluster" was asked for but there is no couple id (rows are
        then treated as independent); otherwise `robust` as given, without a `dyad`.

    Examples
    --------
    >>> standard_errors("cluster", dyad="couple_id"), standard_errors("cluster", dyad=None)
    ({'robust': 'cluster', 'dyad': 'couple_id'}, {'robust': 'HC3', 'dyad': None})
    >>> standard_errors(None, dyad="couple_id")
    {'robust': None, 'dyad': None}
    """
    if robust == "cluster":
        return {"robust": "cluster", "dyad": dyad} if dyad is not None else {"robust": "HC3", "dyad": None}
    return {"robust": robust, "dyad": None}


def process_equations(data: pd.DataFrame, *, x: str, y: str, m=None, w: str | None = None, covariates=(),
                      person: str | None = None, labels: dict | None = None, ci: float = 0.95) -> dict:  # fmt: skip
    """The equations of a PROCESS model 1 (`w`) or 4 (`m`) refitted as OLS regressions, for their
    assumption checks (``.diagnostics``).

    Parameters
    ----------
    data : pandas.DataFrame
        The data of the PROCESS model.
    x, y : str
        Predictor and outcome.
    m : str or list of str, optional
        Mediators (model 4): one equation per mediator (``m ~ x + covariates``) and the outcome
        equation (``y ~ x + m + covariates``).
    w : str, optional
        Moderator (model 1): ``y ~ x * w + covariates``.
    covariates : list of str
        Covariates of every equation.
    person : str, optional
        Id column naming rows in the diagnostics.
    labels : dict, optional
        Readable names used in the keys.
    ci : float, optional
        Confidence level.

    Returns
    -------
    dict
        ``{"Moderation": result}`` for model 1; ``{"Mediation: <mediator>": result, ...,
        "Mediation: <outcome>": result}`` for model 4 (classical standard errors: only the
        residuals matter here; the estimates equal PROCESS's, as its equations are these OLS fits).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame(rng.normal(size=(50, 3)), columns=["x", "m", "y"])
    >>> list(process_equations(d, x="x", m=["m"], y="y", labels={"y": "Outcome"}))
    ['Mediation: m', 'Mediation: Outcome']
    """
    labels, covs = labels or {}, list(covariates)
    if w is not None:
        return {"Moderation": ols(data, f"{y} ~ {x} * {w}" + "".join(f" + {c}" for c in covs), person=person, ci=ci)}
    mediators = [m] if isinstance(m, str) else list(m or [])
    if not mediators:
        raise ParameterError("Pass `w` (PROCESS model 1) or `m` (model 4).")
    out = {f"Mediation: {labels.get(k, k)}": ols(data, f"{k} ~ {' + '.join([x, *covs])}", person=person, ci=ci)
           for k in mediators}  # fmt: skip
    out[f"Mediation: {labels.get(y, y)}"] = ols(data, f"{y} ~ {' + '.join([x, *mediators, *covs])}", person=person,
                                                ci=ci)  # fmt: skip
    return out
