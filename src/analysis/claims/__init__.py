"""Claims layer: the claims registry (`registry`, files in `claim_registry/`), study files
(`study`), verdict rules (`verdicts`) and testing claims on data sets, collected in a scorecard
(`replicate`).

Imports the models layer and everything below it.
"""

from analysis import _compat

__getattr__ = _compat.package_getattr(__name__)  # 0.1 names of the module this package replaced
