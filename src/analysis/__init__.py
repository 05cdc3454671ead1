"""ConnectionLab analysis package: read data, score instruments, model, report."""

from .sem import cfa, dyadic_invariance, measurement_invariance
from .claims import list_claims, load_claim, load_study, scorecard
from .dyadic import apim, apim_k, distinguishability_test, dyadic_icc
from .effect_sizes import cohens_d, minimal_detectable_effect, p_adjust, partial_eta_squared
from .exceptions import AnalysisError, AnalysisWarning, ClaimError, CodebookError, DataError, ParameterError
from .mediation import moderated_mediation
from .meta import fisher_z, random_effects
from .multilevel import MultilevelResult, center_within, dyadic_diary, lag, mixed_model, multilevel_icc
from .regression import logistic_regression, ols, ordinal_regression, tobit
from .replication import directional_claim, directional_claim_r, replication_r
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
    "ClaimError",
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
    # models (the functions `mediation.mediation`, `moderation.moderation` and
    # `replication.replication` share their module's name and are used as such)
    "ols",
    "logistic_regression",
    "ordinal_regression",
    "tobit",
    "cohens_d",
    "partial_eta_squared",
    "p_adjust",
    "minimal_detectable_effect",
    "moderated_mediation",
    "apim",
    "apim_k",
    "distinguishability_test",
    "dyadic_icc",
    "mixed_model",
    "MultilevelResult",
    "center_within",
    "lag",
    "multilevel_icc",
    "dyadic_diary",
    "random_effects",
    "fisher_z",
    "directional_claim",
    "directional_claim_r",
    "replication_r",
    "list_claims",
    "load_claim",
    "load_study",
    "scorecard",
]

__version__ = "0.1.0"
