"""ConnectionLab: survey analysis for relationship science.

The package is organised in layers, each a subpackage that imports only the layers before it::

    data -> scoring -> psychometrics -> models -> claims -> report -> runner

and a few base modules every layer may use (`analysis.exceptions`, `analysis.apa` for APA
numbers and tables, `analysis.paths`). Every public function is available from here, loaded on
first use: ``from analysis import load_dataset, score_instruments, ols, mediation, apim``. The
vocabulary they share is in ``docs/api.md``.
"""

from __future__ import annotations

import importlib
import sys

from analysis import _compat

__version__ = "0.2.0"

#: module -> the public names it contributes to ``analysis``
_PUBLIC = {
    # base
    "analysis.exceptions": ["AnalysisError", "DataError", "CodebookError", "InstrumentError", "ClaimError",
                            "ParameterError", "ReshapeError", "AnalysisWarning", "ConvergenceWarning"],
    "analysis.apa": ["HtmlBlock", "apa_table", "apa_paragraph", "format_value", "format_p", "format_ci",
                     "format_stat"],
    # data
    "analysis.data.readers": ["read_table"],
    "analysis.data.codebook": ["read_codebook", "round_robin_problems", "round_robin_table"],
    "analysis.data.codebook_draft": ["draft_codebook"],
    "analysis.data.dataset": ["Dataset", "load_dataset", "write_processed"],
    "analysis.data.ledger": ["flow"],
    "analysis.data.design": ["design_summary"],
    "analysis.data.validate": ["summarize_problems"],
    "analysis.data.describe": ["descriptives", "frequencies", "correlations", "group_means", "missingness",
                               "careless_indices", "sample_overview", "input_files"],
    "analysis.data.overview": ["overview_variables", "frequency_table", "missing_by_variable", "correlation_pairs"],
    "analysis.data.dyad_reshape": ["individual_to_dyad", "dyad_to_individual", "individual_to_pairwise",
                                   "pairwise_to_individual"],
    "analysis.data.diary_reshape": ["diary_to_wide", "diary_to_long"],
    "analysis.data.diary_variables": ["center_within", "lag", "within_columns"],
    "analysis.data.instrument_library": ["Instrument", "load_instrument", "list_instruments", "score_labels"],
    "analysis.data.simulate": ["simulate_demo_survey", "write_demo_survey", "compare_with_truth", "true_srm_values"],
    # scoring
    "analysis.scoring.scales": ["score_scale", "score_instruments", "score_categories", "keyed_items",
                                "subscale_items"],
    "analysis.scoring.tables": ["score_dataset", "score_diary"],
    "analysis.scoring.attachment": ["attachment_scores", "attachment_styles"],
    # psychometrics
    "analysis.psychometrics.reliability": ["cronbach_alpha", "item_statistics"],
    "analysis.psychometrics.efa": ["EFAResult", "efa"],
    "analysis.psychometrics.factor_retention": ["ParallelResult", "MAPResult", "parallel_analysis", "velicer_map"],
    "analysis.psychometrics.omega": ["OmegaResult", "omega"],
    "analysis.psychometrics.sem": ["CFAResult", "cfa", "measurement_invariance", "dyadic_invariance"],
    "analysis.psychometrics.by_instrument": ["scale_reliability", "scale_item_statistics", "scale_dimensionality",
                                             "scale_cfa", "scale_invariance", "scale_dyadic_invariance"],
    # models
    "analysis.models.regression": ["RegressionResult", "ols", "logistic_regression"],
    "analysis.models.regression_diagnostics": ["RegressionDiagnostics"],
    "analysis.models.assumption_checks": ["standard_errors", "process_equations"],
    "analysis.models.group_comparison": ["GroupComparisonResult", "compare_groups", "compare_groups_by",
                                         "stack_comparisons"],
    "analysis.models.limited_outcomes": ["ordinal_regression", "tobit"],
    "analysis.models.effect_sizes": ["cohens_d", "partial_eta_squared", "p_adjust", "family_of_tests",
                                     "minimal_detectable_effect", "minimal_detectable_effect_sentence"],
    "analysis.models.process_moderation": ["ModerationResult", "moderation"],
    "analysis.models.process_mediation": ["MediationResult", "mediation", "moderated_mediation"],
    "analysis.models.dyadic": ["APIMResult", "apim", "apim_formula"],
    "analysis.models.dyadic_mediation": ["APIMMediationResult", "apim_mediation"],
    "analysis.models.dyadic_diagnostics": ["DistinguishabilityResult", "distinguishability_test", "dyadic_icc",
                                           "apim_k", "apim_k_sentence"],
    "analysis.models.multilevel": ["MultilevelResult", "mixed_model", "multilevel_icc", "diary_formula",
                                   "compare_fits", "compare_fits_sentence"],
    "analysis.models.dyadic_diary": ["dyadic_diary"],
    "analysis.models.meta": ["MetaResult", "random_effects", "fisher_z"],
    "analysis.models.profiles": ["ProfileResult", "latent_profiles"],
    "analysis.models.srm": ["SRMResult", "srm"],
    "analysis.models.survey_design": ["SurveyDesign", "SurveyEstimate", "SurveyCrosstab", "SurveyModelResult",
                                      "survey_design", "survey_mean", "survey_total", "survey_proportion",
                                      "survey_crosstab", "survey_glm", "survey_olr"],
    "analysis.models.survey_report": ["DesignChoice", "design_choice", "WeightedOverview", "weighted_overview",
                                      "DesignModel", "design_model"],
    # claims
    "analysis.claims.registry": ["Claim", "load_claim", "list_claims"],
    "analysis.claims.study": ["Study", "load_study"],
    "analysis.claims.replicate": ["Scorecard", "scorecard", "test_claim"],
    "analysis.claims.verdicts": ["directional_claim", "directional_claim_r", "replication", "replication_r"],
    "analysis.claims.replication_stats": ["r33", "d33", "replication_bf"],
    "analysis.claims.multiverse": ["MultiverseSpec", "MultiverseResult", "read_multiverse", "prepare_multiverse_data",
                                   "fit_specifications", "null_curves", "multiverse_result", "run_multiverse",
                                   "draft_multiverse"],
    # report and runner
    "analysis.report.notices": ["dataset_notice", "simulated_notice", "callout", "warnings_callout",
                                "small_groups_callout", "notes_callout"],
    "analysis.report.tables": ["correlation_matrix_table", "model_checks_table", "group_tests_table",
                               "post_hoc_table"],
    "analysis.report.export": ["export_report"],
    "analysis.runner.records": ["Run", "start_run"],
    "analysis.runner.suite": ["run_suite"],
    "analysis.runner.distributed": ["run_multiverse_on_dask", "read_multiverse_results", "dask_client"],
    "analysis.runner.batch": ["run_batch", "split_by"],
}  # fmt: skip

_WHERE = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Load a public name from its module on first use (keeps ``import analysis`` fast)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


_compat.install(sys.modules[__name__])
