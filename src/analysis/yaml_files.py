"""Reading the YAML files people write (codebooks, study, claim, instrument and parameters files)
with hard limits, so that a wrong or hostile file stops with a one-line message, never a
traceback, a hang or a memory blow-up.

`read_yaml` accepts only a regular file (not a folder, device or pipe) of at most `MAX_BYTES`,
in UTF-8, holding one YAML document of plain values, lists and mappings: no Python or ``!!binary``
tags, at most `MAX_DEPTH` levels of nesting, at most `MAX_ALIASES` aliases (``*name``), at most
`MAX_VALUES` values counting what the aliases stand for (this stops "billion laughs" bombs), and
no key twice in one mapping. Dates (``2024-05-01``) are read as text. Checking the fields is the
caller's job.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, ScalarEvent
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from analysis.exceptions import AnalysisError

__all__ = ["read_yaml", "MAX_BYTES", "MAX_DEPTH", "MAX_ALIASES", "MAX_VALUES"]

MAX_BYTES = 5 * 1024 * 1024  #: largest file read (5 MB); real codebooks are a few KB
MAX_DEPTH = 50  #: deepest nesting of lists and mappings; a codebook needs 4
MAX_ALIASES = 1000  #: most aliases (``*name``) in one file; codebooks rarely use any
MAX_VALUES = 250_000  #: most values (lists, mappings, single values; aliases counted as what they stand for)

_TAG = "tag:yaml.org,2002:"
#: the tags a file may use (explicitly or implicitly): plain values, lists, mappings, merge keys
_ALLOWED_TAGS = {_TAG + t for t in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map", "merge")}
#: characters YAML does not allow in a file (control characters other than tab and line breaks)
_BAD_CHARACTER = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SYNTAX_HINT = ("It must be a UTF-8 YAML file: check the indentation and the space after each ':' there, and quote "
                "text holding ': ' or ' #'.")  # fmt: skip
_SAVE_AS_UTF8 = "It must be a UTF-8 YAML file: save it as UTF-8 (in your editor: Save As, encoding UTF-8)."


class _Refused(yaml.MarkedYAMLError):
    """A file that is valid YAML but breaks one of our limits (the message says which)."""


class _LimitedComposer(Composer):
    """PyYAML's composer, counting nesting depth, aliases and values (an alias: what it stands for)."""

    def __init__(self, max_depth: int, max_aliases: int, max_values: int, what: str):
        super().__init__()
        self._max_depth, self._max_aliases, self._max_values, self._what = max_depth, max_aliases, max_values, what
        self._depth = self._aliases = self._total = 0
        self._weights: dict[str, int] = {}  # anchor -> number of values it stands for, aliases expanded

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > self._max_aliases:
                raise _Refused(None, None, f"more than {self._max_aliases} aliases (*name); write the values out "
                                           "or use fewer anchors", event.start_mark)  # fmt: skip
            node = super().compose_node(parent, index)  # an undefined alias fails here
            weight = self._weights.get(event.anchor)
            if weight is None:
                raise _Refused(None, None, f"alias *{_short(event.anchor)} is used inside its own anchor "
                                           "(a structure that contains itself); remove the alias", event.start_mark)
            self._total += weight
            if self._total > self._max_values:
                raise _Refused(None, None, f"too many aliases: with what they stand for, the file holds more than "
                                           f"{self._max_values:,} values; write the values out",
                               event.start_mark)  # fmt: skip
            return node
        event = self.peek_event()
        collection = not isinstance(event, ScalarEvent)
        if collection:
            self._depth += 1
            if self._depth > self._max_depth:
                raise _Refused(None, None, f"lists and mappings are nested more than {self._max_depth} levels deep",
                               event.start_mark)  # fmt: skip
        before = self._total
        node = super().compose_node(parent, index)
        self._total += 1
        if self._total > self._max_values:
            raise _Refused(None, None, f"the file holds more than {self._max_values:,} values; check that it is "
                                       f"the {self._what}, not a data file", node.start_mark)  # fmt: skip
        if collection:
            self._depth -= 1
        if event.anchor is not None:
            self._weights[event.anchor] = self._total - before
        if node.tag not in _ALLOWED_TAGS:
            tag = _short(node.tag.replace(_TAG, "!!"))
            raise _Refused(None, None, f"the tag {tag} is not allowed (only plain values, lists and mappings); "
                                       f"remove {tag}", node.start_mark)  # fmt: skip
        return node

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        seen = {}
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.tag != _TAG + "merge":
                if (key.tag, key.value) in seen:
                    first = seen[(key.tag, key.value)]
                    raise _Refused(None, None, f"the key {_short(repr(key.value))} appears twice in one mapping "
                                               f"(first on line {first.line + 1}); remove or rename one",
                                   key.start_mark)  # fmt: skip
                seen[(key.tag, key.value)] = key.start_mark
        return node

    def compose_document(self):
        self._weights = {}
        return super().compose_document()


class _Constructor(SafeConstructor):
    """SafeLoader's constructor; dates stay text, a number too long to read is a marked error."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError):  # e.g. an integer of more than 4300 digits
            text = node.value if isinstance(node.value, str) else ""
            shown = text[:30] + ("..." if len(text) > 30 else "")
            raise _Refused(None, None, f"cannot read the value {shown!r} ({len(text):,} characters); put it in "
                                       "quotes to keep it as text", node.start_mark) from None  # fmt: skip


_Constructor.add_constructor(_TAG + "timestamp", SafeConstructor.construct_yaml_str)

if getattr(yaml, "__with_libyaml__", False):  # libyaml's parser (fast) with our composer (limits)
    from yaml.cyaml import CParser

    class _Loader(_LimitedComposer, CParser, _Constructor, Resolver):
        def __init__(self, stream, limits):
            CParser.__init__(self, stream)
            _Constructor.__init__(self)
            Resolver.__init__(self)
            _LimitedComposer.__init__(self, *limits)

else:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, _LimitedComposer, _Constructor, Resolver):
        def __init__(self, stream, limits):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            _LimitedComposer.__init__(self, *limits)
            _Constructor.__init__(self)
            Resolver.__init__(self)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _size(n: int) -> str:
    return f"{n / 1024**2:.1f} MB".replace(".0 MB", " MB") if n >= 1024**2 else f"{n:,} bytes"


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _read_bytes(path: Path, what: str, fail, max_bytes: int) -> bytes:
    """The file's bytes: only a regular file, at most `max_bytes` (checked before and while reading)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        fail(f"{what[:1].upper()}{what[1:]} {path} does not exist. Check the path.", prefix=False)
    except OSError as exc:
        fail(f"{_one_line(exc.strerror or exc)}.")
    if stat.S_ISDIR(info.st_mode):
        fail(f"it is a folder, not a file. Give the path of the {what} itself.")
    if not stat.S_ISREG(info.st_mode):
        fail(f"it is not a regular file (a device, pipe or socket). Give the path of a YAML {what}.")
    too_big = f"the limit for a {what} is {_size(max_bytes)}. Check that it is the {what}, not a data file."
    if info.st_size > max_bytes:
        fail(f"it is {_size(info.st_size)}; {too_big}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the check above
                fail(f"it is not a regular file. Give the path of a YAML {what}.")
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        fail(f"{_one_line(exc.strerror or exc)}.")
    if len(data) > max_bytes:
        fail(f"it is more than {_size(max_bytes)}; {too_big}")
    return data


def _decode(data: bytes, what: str, fail) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is dropped), with no character YAML forbids."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        fail(f"it is UTF-16 text. {_SAVE_AS_UTF8}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        fail(f"it is not UTF-8 text: byte 0x{data[exc.start]:02X} at line {line}, column {column} (byte offset "
             f"{exc.start}) cannot be read. {_SAVE_AS_UTF8}")
    bad = _BAD_CHARACTER.search(text)
    if bad:
        pos = bad.start()
        fail(f"line {text.count(chr(10), 0, pos) + 1}, column {pos - text.rfind(chr(10), 0, pos)}: the character "
             f"U+{ord(bad.group()):04X} (a control character) is not allowed in YAML. Remove it; if the file is not "
             f"text, give the path of the YAML {what}.")  # fmt: skip
    return text


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def read_yaml(
    path: str | Path,
    *,
    what: str,
    error: type[AnalysisError],
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_aliases: int = MAX_ALIASES,
    max_values: int = MAX_VALUES,
):
    """Read a YAML file that a person wrote, with hard limits on what it may hold.

    Parameters
    ----------
    path : str or Path
        The file (taken as given: resolve relative paths before).
    what : str
        What the file is, for messages: ``"codebook"``, ``"study file"``, ...
    error : type
        The `AnalysisError` subclass to raise (``CodebookError``, ``ClaimError``, ...).
    max_bytes : int, default `MAX_BYTES` (5 MB)
        Largest file read.
    max_depth : int, default `MAX_DEPTH` (50)
        Deepest nesting of lists and mappings.
    max_aliases : int, default `MAX_ALIASES` (1000)
        Most aliases (``*name``) in the file.
    max_values : int, default `MAX_VALUES` (250,000)
        Most values (each list, mapping and single value; an alias counts as the values it
        stands for).

    Returns
    -------
    object
        The document: a dict, list, str, int, float, bool or None (an empty file), built of
        these only. Dates are returned as text.

    Raises
    ------
    AnalysisError
        Of type `error`, one line naming the file (and the line and column where there is one)
        and saying how to fix it, if the file does not exist, is a folder, device or pipe, is
        larger than `max_bytes`, is not UTF-8 (the first bad byte's line and offset), holds a
        control character, is not valid YAML or holds more than one document, uses a tag other
        than the plain ones (``!!python/...``, ``!!binary``, ``!!set``, custom ``!tags``), nests
        deeper than `max_depth`, uses more aliases than `max_aliases` or aliases that contain
        themselves, holds more than `max_values` values counting what aliases stand for (a
        "billion laughs" bomb fails here), or repeats a key in one mapping.

    See Also
    --------
    read_codebook : Reads a codebook with this, then checks every field.
    load_study : Reads a study file with this.

    Notes
    -----
    Composition (building the node tree from the parser's events) is PyYAML's, with counters
    added, so every limit is met before any structure is built beyond it: a bomb or a deeply
    nested file fails in milliseconds, without recursion. The parser is libyaml's when PyYAML
    has it. A file near the limits takes seconds (about 1 s per 40,000 values); real codebooks
    hold a few thousand. Checking what the fields hold is the caller's job.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.exceptions import CodebookError
    >>> from analysis.yaml_files import read_yaml
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "codebook.yaml"
    ...     _ = path.write_text("dataset: pilot\\ntables: {survey: {file: survey.csv}}\\n", encoding="utf-8")
    ...     read_yaml(path, what="codebook", error=CodebookError)
    {'dataset': 'pilot', 'tables': {'survey': {'file': 'survey.csv'}}}
    >>> bomb = "a: &a [1, 2]\\nb: &b [*a, *a, *a]\\nc: [*b, *b, *b]\\n"  # a small "billion laughs"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "codebook.yaml"
    ...     _ = path.write_text(bomb, encoding="utf-8")
    ...     try:
    ...         read_yaml(path, what="codebook", error=CodebookError, max_values=40)
    ...     except CodebookError as err:
    ...         print(str(err).split("codebook.yaml: ")[1].split(";")[0])
    line 3, column 13: too many aliases: with what they stand for, the file holds more than 40 values
    """
    path = Path(path)

    def fail(message: str, prefix: bool = True):
        raise error(f"Cannot read {what} {path}: {message}" if prefix else message) from None

    text = _decode(_read_bytes(path, what, fail, max_bytes), what, fail)
    loader = _Loader(text, (max_depth, max_aliases, max_values, what))
    try:
        return loader.get_single_data()
    except _Refused as exc:
        fail(f"{_where(exc.problem_mark)}: {_one_line(exc.problem)}.")
    except yaml.MarkedYAMLError as exc:
        if exc.context == "expected a single document in the stream" and exc.problem_mark is not None:
            fail(f"{_where(exc.problem_mark)}: a second document starts here (after '---'); a {what} is one "
                 "document: remove the '---' line, or move what follows into a file of its own.")  # fmt: skip
        mark = exc.problem_mark or exc.context_mark
        problem = _short(_one_line(exc.problem or exc.context or "a syntax error"), 150)
        context = ""
        if exc.context and exc.problem and exc.context_mark is not None:
            context = f" ({_short(_one_line(exc.context), 100)} at {_where(exc.context_mark)})"
        at = f" at {_where(mark)}" if mark is not None else ""
        fail(f"not valid YAML{at}: {problem}{context}. {_SYNTAX_HINT}")
    except yaml.YAMLError as exc:
        fail(f"not valid YAML: {_short(_one_line(exc), 200)}. {_SYNTAX_HINT}")
    except RecursionError:  # not expected: depth is counted before recursing
        fail(f"lists and mappings are nested too deeply (the limit is {max_depth} levels).")
    finally:
        loader.dispose()
