"""Runner layer: the `connlab` command (`cli`), running the notebook suite with papermill
(`suite`), rendering reports and the index (`render`), run records (`records`) and provenance
(`provenance`), running a multiverse on Dask (`distributed`) and batch reports per group or data set
(`batch`).

Imports every other layer.
"""

from analysis import _compat

__getattr__ = _compat.package_getattr(__name__)  # 0.1 names of the module this package replaced
