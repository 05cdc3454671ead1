"""ConnectionLab analysis package: read data, score instruments, model, report."""

from .exceptions import AnalysisError, AnalysisWarning, CodebookError, DataError, ParameterError
from .io import Dataset, load_dataset, read_codebook
from .scales import list_instruments, load_instrument, score_scale
from .simulate import simulate_demo_survey, write_demo_survey

__all__ = [
    "AnalysisError",
    "AnalysisWarning",
    "CodebookError",
    "DataError",
    "ParameterError",
    "Dataset",
    "load_dataset",
    "read_codebook",
    "list_instruments",
    "load_instrument",
    "score_scale",
    "simulate_demo_survey",
    "write_demo_survey",
]

__version__ = "0.1.0"
