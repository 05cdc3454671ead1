"""Exception and warning types. Catch `AnalysisError` to catch every input problem we report."""

from __future__ import annotations

__all__ = [
    "AnalysisError", "DataError", "CodebookError", "InstrumentError", "ClaimError", "ParameterError",
    "ReshapeError", "AnalysisWarning", "ConvergenceWarning",
]  # fmt: skip




class AnalysisError(Exception):
    """Base class: a problem with the user's input that the message explains how to fix."""


class DataError(AnalysisError, ValueError):
    """A data file cannot be read or does not match its codebook."""


class ReshapeError(DataError):
    """Ids or values that stop a reshape. `.problems` is a DataFrame, one row per problem, with
    columns `dyad` (or `subject`; missing when the id itself is missing), `problem` (a short
    code such as ``"too_many_members"``) and `detail` (what is wrong and how to fix it)."""

    def __init__(self, message: str, problems):
        super().__init__(message)
        self.problems = problems


class CodebookError(AnalysisError, ValueError):
    """A codebook is missing, malformed or inconsistent with its data."""


class InstrumentError(AnalysisError, ValueError):
    """An instrument definition is missing or malformed, or items do not fit it."""


class ClaimError(AnalysisError, ValueError):
    """A claim or study file is malformed (missing field, unknown model, bad value)."""


class ParameterError(AnalysisError, ValueError):
    """A function or notebook parameter has an unknown name or a wrong value."""


class AnalysisWarning(UserWarning):
    """A recoverable problem in an analysis (notebooks may filter or escalate it)."""


class ConvergenceWarning(AnalysisWarning):
    """An iterative estimator did not converge."""
