"""Report layer: what a reader sees beyond one result's table: notices about the data set
(`notices`) and figures (`figures`). APA number and table formatting is in `analysis.apa`, which
every layer may use; the report layer never fits a model.

Imports the claims layer and everything below it.
"""

from analysis import _compat

__getattr__ = _compat.package_getattr(__name__)  # 0.1 names of the module this package replaced
