"""Psychometrics layer: reliability (`reliability`), exploratory factor analysis (`efa`), how many
factors (`factor_retention`), omega (`omega`), confirmatory factor analysis and invariance (`sem`,
with its ML/FIML engine in `_sem_model` and `_sem_ml`), and all of these for every instrument of a
data set (`by_instrument`). The result classes share `_results` (rows left out, words of their APA
sentences).

Imports the scoring and data layers and the base modules.
"""
