"""Models layer: regression (`regression`, `limited_outcomes`, OLS assumption checks in
`regression_diagnostics`), effect sizes (`effect_sizes`), group comparisons (`group_comparison`),
PROCESS moderation and mediation (`process_moderation`, `process_mediation`, with the batched
bootstrap in `_process_bootstrap`), dyadic models (`dyadic`, GLS engine in `_gls`), multilevel and
diary models (`multilevel`, engine in `_mixed_ml`), meta-analysis (`meta`) and latent profiles
(`profiles`).

Imports the psychometrics, scoring and data layers and the base modules.
"""
