"""`connlab init`: a project folder laid out the way a researcher keeps one.

The layout follows cookiecutter-data-science: raw data are never edited, processed data are
made from them, reports are made from both, and the notebooks and study files the project runs
are its own copies (the package's are the templates).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from analysis.exceptions import ParameterError
from analysis.paths import PROJECT_MARKER, packaged

__all__ = ["init_project"]

README = """# {name}

A ConnectionLab project. Run `connlab` from this folder (or any folder below it).

- `data/raw/`: the data as you received them, each data set in its own folder with its codebook
  (`connlab codebook --data FILE --out data/raw/NAME/codebook.yaml` drafts one). Never edited.
- `data/processed/`: written by `connlab validate --data data/raw/NAME --write`: the analysed
  rows, the row ledger and the problems.
- `reports/`: written by `connlab run` and `connlab replicate`: one HTML report per notebook and
  `index.html`.
- `notebooks/`: the notebooks `connlab run` executes (copies of the package's; edit them if you
  like).
- `studies/`: study files for `connlab replicate --study` (which data sets, which claims), with the
  codebooks they use.

Start with the simulated demo survey:

```bash
connlab simulate        # -> data/raw/demo_survey/
connlab run             # -> reports/index.html
```

Your own data:

```bash
connlab codebook --data data/raw/mystudy/survey.csv --out data/raw/mystudy/codebook.yaml
connlab validate --data data/raw/mystudy
connlab run --data data/raw/mystudy --out reports/mystudy
```

The claims registry on the public data sets (a folder of the shared data, named with --data-root):

```bash
connlab replicate --study studies/shared_real_data.yml --data-root /path/to/shared/data
```
"""

MARKER = """# Marks a ConnectionLab project folder: `connlab` run anywhere below it uses this folder's data/,
# reports/, studies/ and notebooks/ (written by `connlab init`).
[project]
name = "{name}"
"""


def init_project(folder: str | Path, *, notebooks: bool = True) -> Path:
    """Create a project folder: data/raw, data/processed, reports, studies, notebooks and a README.

    Parameters
    ----------
    folder : str or Path
        The folder to create. It may exist if it is empty.
    notebooks : bool, default True
        Copy the package's notebooks into ``notebooks/`` (``connlab run`` then runs these
        copies); False: ``connlab run`` uses the package's own.

    Returns
    -------
    Path
        The project folder (absolute).

    Raises
    ------
    ParameterError
        If `folder` is a file, or a folder that is not empty.

    See Also
    --------
    run_suite : Runs the notebooks of a project.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.runner.project import init_project
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     project = init_project(Path(tmp) / "my study")
    ...     made = sorted(str(p.relative_to(project)) for p in project.iterdir())
    >>> made
    ['README.md', 'connlab.toml', 'data', 'notebooks', 'reports', 'studies']
    """
    folder = Path(folder).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{folder} is a file; give `connlab init` the name of a new or empty folder.")
    if folder.is_dir() and any(folder.iterdir()):
        raise ParameterError(f"{folder} is not empty; give `connlab init` the name of a new or empty folder "
                             "(nothing was changed).")  # fmt: skip
    for sub in ("data/raw", "data/processed", "reports"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    shutil.copytree(packaged("studies"), folder / "studies", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    if notebooks:
        shutil.copytree(packaged("notebooks"), folder / "notebooks",
                        ignore=shutil.ignore_patterns("__pycache__", "*.py", ".ipynb_checkpoints"))  # fmt: skip
    (folder / "README.md").write_text(README.format(name=folder.name), encoding="utf-8")
    (folder / PROJECT_MARKER).write_text(MARKER.format(name=folder.name.replace('"', "")), encoding="utf-8")
    return folder
