"""load_dataset's codebook cache and background hash: same results as reading and hashing afresh."""

from __future__ import annotations

import hashlib

import pytest

from analysis.data.codebook import read_codebook
from analysis.data.dataset import _CODEBOOKS, load_dataset
from analysis.exceptions import CodebookError

CODEBOOK = """
dataset: tiny
tables:
  survey:
    file: survey.csv
    variables:
      person_id: {type: integer, role: id}
      sat: {type: number, range: [1, 7], label: Satisfaction}
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "survey.csv").write_text("person_id,sat\n11,5.5\n12,9\n12,4\n", encoding="utf-8")
    return tmp_path


def test_cached_codebook_is_a_fresh_copy_and_follows_the_file(folder):
    first = load_dataset(folder)
    first.codebook["tables"]["survey"]["variables"]["sat"]["label"] = "changed by the caller"
    second = load_dataset(folder)  # from the cache: unaffected by the change above
    assert second.codebook == read_codebook(folder / "codebook.yaml")
    assert second.codebook["tables"]["survey"]["variables"]["sat"]["label"] == "Satisfaction"
    (folder / "codebook.yaml").write_text(CODEBOOK.replace("Satisfaction", "Happiness"), encoding="utf-8")
    third = load_dataset(folder)  # the file changed: read again
    assert third.codebook["tables"]["survey"]["variables"]["sat"]["label"] == "Happiness"


def test_files_hashes_are_those_of_the_bytes(folder):
    for _ in range(2):  # codebook read, then from the cache
        files = {f.table: f.sha256 for f in load_dataset(folder).files}
        assert files == {"survey": hashlib.sha256((folder / "survey.csv").read_bytes()).hexdigest(),
                         "codebook": hashlib.sha256((folder / "codebook.yaml").read_bytes()).hexdigest()}  # fmt: skip


def test_a_broken_codebook_is_never_cached(folder):
    (folder / "codebook.yaml").write_text("dataset: tiny\n", encoding="utf-8")
    before = dict(_CODEBOOKS)
    for _ in range(2):
        with pytest.raises(CodebookError, match="no `tables:` mapping"):
            load_dataset(folder)
    assert _CODEBOOKS == before
