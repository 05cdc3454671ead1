"""ConnectionLab analysis package: read data, score instruments, model, report."""

from .sem import cfa, dyadic_invariance, measurement_invariance
from .exceptions import AnalysisError, AnalysisWarning, CodebookError, DataError, ParameterError
from .factor import efa, omega, parallel_analysis, velicer_map
from .reliability import cronbach_alpha, item_statistics
from .io import Dataset, load_dataset, read_codebook, write_processed
from .reshape import (
    ReshapeError,
    diary_to_long,
    diary_to_wide,
    dyad_to_individual,
    individual_to_dyad,
    individual_to_pairwise,
    pairwise_to_individual,
)
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
    "write_processed",
    "ReshapeError",
    "individual_to_dyad",
    "dyad_to_individual",
    "individual_to_pairwise",
    "pairwise_to_individual",
    "diary_to_wide",
    "diary_to_long",
    "list_instruments",
    "load_instrument",
    "score_scale",
    "simulate_demo_survey",
    "cronbach_alpha",
    "item_statistics",
    "efa",
    "cfa",
    "measurement_invariance",
    "dyadic_invariance",
    "omega",
    "parallel_analysis",
    "velicer_map",
    "write_demo_survey",
]

__version__ = "0.1.0"
