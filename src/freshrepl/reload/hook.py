"""The import hook: captures the exact source of every user module as it is imported.

What it keeps per module is small (the bytes read, large ones deflated; a few
names); the text, the lines tracebacks show and the parse are made from those
bytes on demand.
Compiled code is cached on disk and reused only for the very same bytes.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import linecache
import marshal
import opcode
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType

from freshrepl.channel import write_all
from freshrepl.reload.userfiles import is_user_file

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    import ast
    from typing import Any


class Loaded:
    """What actually ran for one module: its source (or, for extensions, a hash).

    A kernel keeps one of these for every user module, so it is kept small:
    the source bytes are kept as read, deflated from ``PACK_FROM`` bytes on
    (``pack``); the text, the lines tracebacks show and the parse are made
    only when asked for; what only reloads need lives in a separate object
    made on first use (``_Reloaded``).
    """

    __slots__ = ("name", "path", "_source", "module", "code_names", "_reloaded")

    def __init__(self, name: str, path: str, text: str | None = None, digest: str = "",
                 module: ModuleType | None = None, data: bytes | None = None) -> None:
        self.name = name
        self.path = path
        # The bytes as read (see ``pack``), or a text a reload gave; None: an extension.
        self._source: bytes | str | None = pack(data) if data is not None else text
        self.module = module
        # Names the module-level code uses (imported modules among them): a cheap filter
        # for "might this module import from that one?"; None when unknown.
        self.code_names: tuple[str, ...] | None = None
        self._reloaded: _Reloaded | None = _Reloaded(digest) if digest else None

    @property
    def version(self) -> object:
        """The same object (``is``) for exactly as long as the source stays the same."""
        return self._source

    @property
    def has_source(self) -> bool:
        return self._source is not None

    @property
    def text(self) -> str | None:
        """The source as the interpreter read it; None for a compiled extension."""
        source = self._source
        return decode(unpack(source)) if isinstance(source, bytes) else source

    @text.setter
    def text(self, value: str | None) -> None:
        self._source = value

    @property
    def data(self) -> bytes | None:
        """The source bytes as read from the file; None if a reload gave the text (or an extension)."""
        source = self._source
        return unpack(source) if isinstance(source, bytes) else None

    @property
    def digest(self) -> str:
        """sha256 of an extension's bytes ("" for source)."""
        return self._reloaded.digest if self._reloaded is not None else ""

    @property
    def deleted(self) -> bool:
        """The file is gone (a reload saw it deleted and kept the module)."""
        return self._reloaded is not None and self._reloaded.deleted

    @deleted.setter
    def deleted(self, value: bool) -> None:
        if value or self._reloaded is not None:
            self._reloads().deleted = value

    @property
    def tree_cache(self) -> dict:
        """Facts derived from ``text``."""
        return self._reloads().tree_cache

    @tree_cache.setter
    def tree_cache(self, value: dict) -> None:
        self._reloads().tree_cache = value

    @property
    def removed_defs(self) -> dict[str, tuple[Any, ast.stmt]]:
        """Functions and classes an earlier reload removed, with their statements.

        If a later save (or the rest of a save written in parts) defines the
        name again, the same object comes back, so old instances and references follow.
        """
        return self._reloads().removed_defs

    def _reloads(self) -> _Reloaded:
        if self._reloaded is None:
            self._reloaded = _Reloaded()
        return self._reloaded

    def __repr__(self) -> str:
        return f"Loaded({self.name!r}, {self.path!r})"

    def tree(self) -> ast.Module:
        """The parse of the loaded text, cached: parsing is most of a reload's cost."""
        import ast

        text = self.text
        tree = self.tree_cache.get(text)
        if tree is None:
            self.tree_cache.clear()  # facts about an older text are stale too
            try:
                tree = ast.parse(text or "", self.path)
            except SyntaxError:
                # Only an -i script can have run (or rather not run) from such a
                # text: none of it executed, so it counts as an empty module.
                tree = ast.Module(body=[], type_ignores=[])
            self.tree_cache[text] = tree
        return tree


class _Reloaded:
    """The part of a ``Loaded`` most modules never need: made when a reload (or an extension) does."""

    __slots__ = ("digest", "deleted", "tree_cache", "removed_defs")

    def __init__(self, digest: str = "") -> None:
        self.digest = digest
        self.deleted = False
        self.tree_cache: dict = {}
        self.removed_defs: dict[str, tuple[Any, ast.stmt]] = {}


# Sources from this size on are kept deflated, primed with words most Python
# sources use (to under a third, in some 10 µs a KiB).  Below it, setting up a
# deflate stream costs about what importing the module does, for little gain.
PACK_FROM = 512
_PACKED = b"\0"  # a deflated source starts with it; one kept as read never does
_PRIMER = (b'"""     def __init__(self, self.return None True False import from class '
           b"if else elif for in while try except finally with as lambda yield raise "
           b"pass break continue and or not is assert global nonlocal async await "
           b"print( len( isinstance( str int list dict tuple\n")


def pack(data: bytes) -> bytes:
    """``data`` as kept: raw deflate (level 1, a small state: cheap to set up) or as is."""
    if len(data) < PACK_FROM and not data.startswith(_PACKED):
        return data
    packer = zlib.compressobj(1, zlib.DEFLATED, -15, 5, zlib.Z_DEFAULT_STRATEGY, _PRIMER)
    return _PACKED + packer.compress(data) + packer.flush()


def unpack(kept: bytes) -> bytes:
    if not kept.startswith(_PACKED):
        return kept
    unpacker = zlib.decompressobj(-15, _PRIMER)
    return unpacker.decompress(memoryview(kept)[1:]) + unpacker.flush()


def read_bytes(path: str) -> bytes:
    """The file's bytes: ``open(path, "rb").read()`` at a third of its cost for a small file.

    (Not through ``io.open_code``: only an embedding application can hook
    that, and freshrepl is not embedded.)
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        parts: list[bytes] = []
        want = os.fstat(fd).st_size + 1  # one more: a read to the end
        while True:
            part = os.read(fd, want)
            if not part:
                return b"".join(parts) if len(parts) != 1 else parts[0]
            parts.append(part)
            want = 1 << 16  # it grew since the stat (or a short read): read on to the end
    finally:
        os.close(fd)


def norm_path(path: str) -> str:
    key = os.path.normcase(os.path.abspath(path))
    return path if key == path else key  # the same string object: kept once


_POSIX = os.sep == "/" and os.altsep is None  # where a plain absolute path is normal


def _is_plainly_normal(path: str) -> bool:
    """``norm_path(path) == path``, seen without a system call (a cheap, safe subset)."""
    return (_POSIX and path[:1] == "/" and "//" not in path and "/./" not in path
            and "/../" not in path and not path.endswith(("/.", "/..")))


def decode(data: bytes) -> str:
    """Decode source bytes exactly as the interpreter does (coding cookie, BOM)."""
    return importlib.util.decode_source(data)


def remember_lines(path: str, text: str) -> None:
    """Make tracebacks show ``text`` for ``path``; mtime None keeps checkcache away."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    linecache.cache[path] = (len(text), None, lines, path)


# The store whose modules' lines tracebacks show (made on first use): the newest one.
_LINES_FROM: list[SourceStore] = []
_linecache_getlines = linecache.getlines


def _getlines(filename: str, module_globals: dict[str, Any] | None = None) -> list[str]:
    """``linecache.getlines`` that shows a user module's loaded text, not today's file."""
    cached = linecache.cache.get(filename)
    known = cached is not None and len(cached) != 1  # neither absent nor lazy: left as it is
    if known or not _LINES_FROM or not filename or filename.startswith("<"):
        return _linecache_getlines(filename, module_globals)
    entry = _LINES_FROM[-1].loaded_from(filename)
    if entry is not None:
        try:
            text = entry.text
        except (SyntaxError, UnicodeDecodeError):  # it never ran: its import failed
            text = None
        if text is not None:
            remember_lines(filename, text)
    return _linecache_getlines(filename, module_globals)


_IMPORTS = (opcode.opmap["IMPORT_NAME"], opcode.opmap["IMPORT_FROM"])
_IMPORT_BYTES = tuple(bytes([op]) for op in _IMPORTS)
_EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]


def imported_names(code: CodeType) -> frozenset[str]:
    """The names module-level ``code`` imports (``import a.b``: a.b; ``from m import x``: m, x).

    Only such a name can be a module's, so only these go to the index of who
    may import from whom: the rest of ``co_names`` would cost memory for nothing.
    """
    raw = code.co_code
    if not any(op in raw for op in _IMPORT_BYTES):
        return frozenset()
    names, found, extended = code.co_names, set(), 0
    for i in range(0, len(raw), 2):
        op, arg = raw[i], raw[i + 1] | extended
        extended = arg << 8 if op == _EXTENDED_ARG else 0
        if op in _IMPORTS:
            found.add(names[arg])
    return frozenset(found)


def _index_add(index: dict[str, Any], key: str, value: str) -> None:
    """A one-to-many index whose single values are kept bare (a set costs 200+ bytes)."""
    found = index.get(key)
    if found is None:
        index[key] = value
    elif isinstance(found, str):
        if found != value:
            index[key] = {found, value}
    else:
        found.add(value)


def _index_discard(index: dict[str, Any], key: str, value: str) -> None:
    found = index.get(key)
    if found == value:
        del index[key]
    elif isinstance(found, set):
        found.discard(value)


def _index_get(index: dict[str, Any], key: str) -> set[str]:
    found = index.get(key)
    if found is None:
        return set()
    return {found} if isinstance(found, str) else set(found)


class SourceStore:
    """Every user module's loaded source, filled by the loaders below."""

    def __init__(self) -> None:
        self.by_name: dict[str, Loaded] = {}
        # File: module(s), for files spelled as normal paths (nearly all); the few
        # others are normalized when looked for.  A save's lookup must not visit
        # every entry: after a checkpoint's fork each entry touched costs a page copy.
        self.by_path: dict[str, Any] = {}
        self.odd_paths: set[str] = set()  # modules whose path is not spelled normally
        self.fresh: list[str] = []  # names loaded since the kernel last asked
        self.by_code_name: dict[str, Any] = {}  # name used at module level: module(s)
        self.unknown_names: set[str] = set()  # modules whose used names are not known
        self.kept = 0  # entries ever kept: the newest ``kept - k`` are the last of ``by_name``
        _LINES_FROM[:] = [self]
        linecache.getlines = _getlines

    def _keep(self, entry: Loaded) -> None:
        self.forget(entry.name)
        self.by_name[entry.name] = entry  # at the end: by_name is in the order kept
        self.kept += 1
        self.unknown_names.add(entry.name)
        if _is_plainly_normal(entry.path):
            _index_add(self.by_path, entry.path, entry.name)
        else:
            self.odd_paths.add(entry.name)

    def forget(self, name: str) -> None:
        entry = self.by_name.pop(name, None)
        if entry is not None:
            self.set_code_names(entry, None)
            self.unknown_names.discard(name)
            _index_discard(self.by_path, entry.path, name)
            self.odd_paths.discard(name)

    def set_code_names(self, entry: Loaded, names: frozenset[str] | None) -> None:
        """Index which modules use which names, so importers are found in O(importers)."""
        for used in entry.code_names or ():
            _index_discard(self.by_code_name, used, entry.name)
        entry.code_names = tuple(names) if names is not None else None  # () is shared
        for used in entry.code_names or ():
            _index_add(self.by_code_name, used, entry.name)
        if names is not None:
            self.unknown_names.discard(entry.name)

    def maybe_importers(self, name: str) -> set[str]:
        """Modules whose module-level code may do ``from name import ...``."""
        last = name.rpartition(".")[2]
        found = _index_get(self.by_code_name, name) | _index_get(self.by_code_name, last)
        return found | self.unknown_names

    def kept_since(self, mark: int) -> list[Loaded]:
        """The entries kept after ``kept`` was ``mark`` (and, if some were forgotten, a few older)."""
        count = min(self.kept - mark, len(self.by_name))
        newest = reversed(self.by_name.values())
        return [next(newest) for _ in range(count)]

    def names_for(self, paths: Iterable[str]) -> set[str]:
        """The modules whose source is one of these files, however spelled."""
        keys = {norm_path(path) for path in paths}
        found: set[str] = set()
        for key in keys:
            found |= _index_get(self.by_path, key)
        for name in self.odd_paths:
            if norm_path(self.by_name[name].path) in keys:
                found.add(name)
        return found

    def loaded_from(self, path: str) -> Loaded | None:
        """The module whose source is the file ``path`` (as its code names it), if any."""
        names = _index_get(self.by_path, path) if _is_plainly_normal(path) else self.odd_paths
        for name in sorted(names):
            entry = self.by_name[name]
            if entry.path == path and entry.has_source:
                return entry
        return None

    def record_source(self, name: str, path: str, data: bytes, check: bool = True) -> Loaded:
        """Keep ``data``, what ``name`` runs from; tracebacks show it (decoded as python does).

        ``check``: raise SyntaxError or UnicodeDecodeError now for bytes python
        could not decode (an importer leaves that to the compiler).
        """
        if check:
            decode(data)
        entry = Loaded(name, path, data=data)
        self._keep(entry)
        linecache.cache.pop(path, None)  # lines of another text: made afresh from this one
        return entry

    def record_extension(self, name: str, path: str) -> None:
        from freshrepl.digests import bytes_digest

        with open(path, "rb") as handle:
            digest = bytes_digest(handle.read())
        self._keep(Loaded(name, path, digest=digest))

    def loaded(self, name: str, module: ModuleType) -> None:
        entry = self.by_name.get(name)
        if entry is not None:
            entry.module = module
            self.fresh.append(name)


class CodeCache:
    """Compiled user modules, reused only for the very bytes they were compiled from.

    The file for ``/a/b.py`` is ``/a/b.py.<optimization level>.code`` under
    ``$XDG_CACHE_HOME/freshrepl/code/<cache tag>``; it holds the interpreter's
    magic number and optimization level, a hash and the length of the source
    bytes, and the path, ahead of the marshalled code.  Modification times
    play no part.  Nothing is written when python would write no bytecode
    (``-B``, ``PYTHONDONTWRITEBYTECODE``).
    """

    def __init__(self) -> None:
        cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        self.root = os.path.join(cache_home, "freshrepl", "code",
                                 sys.implementation.cache_tag or "python")
        self._suffix = f".{sys.flags.optimize}.code"
        self._magic = importlib.util.MAGIC_NUMBER + sys.flags.optimize.to_bytes(1, "little")
        self._directories: set[str] = set()  # made (or found) while storing

    def code(self, data: bytes, path: str, compile_: Any) -> CodeType:
        """The code for source ``data`` of ``path``: cached, else ``compile_(data, path)``."""
        encoded = os.fsencode(path)
        header = b"".join((
            self._magic,
            importlib.util.source_hash(data),
            len(data).to_bytes(8, "little"),
            len(encoded).to_bytes(4, "little"),
            encoded,
        ))
        file = self.root + os.path.abspath(path) + self._suffix
        try:
            blob = read_bytes(file)
            if blob.startswith(header):
                code = marshal.loads(memoryview(blob)[len(header):])
                if isinstance(code, CodeType):
                    return code
        except (OSError, ValueError, EOFError, TypeError):
            pass
        code = compile_(data, path)
        if not sys.dont_write_bytecode:
            self._store(file, header + marshal.dumps(code))
        return code

    def _store(self, file: str, blob: bytes) -> None:
        temporary = f"{file}.{os.getpid()}.tmp"
        try:
            directory = os.path.dirname(file)
            if directory not in self._directories:  # one mkdir per directory, not per module
                os.makedirs(directory, exist_ok=True)
                self._directories.add(directory)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
            try:
                write_all(fd, blob)
            finally:
                os.close(fd)
            os.replace(temporary, file)
        except OSError:
            self._directories.discard(os.path.dirname(file))  # gone since? made again next time
            try:
                os.unlink(temporary)
            except OSError:
                pass


# Told each user module's code before it runs (kernel/provenance.py arms its functions).
code_listeners: list[Callable[[CodeType], None]] = []


class CapturingSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles a user module from the bytes it keeps (or reuses code made from those bytes)."""

    store: SourceStore  # set on the subclass made per Reloader
    codes: CodeCache

    def get_code(self, fullname: str) -> CodeType:
        data = read_bytes(self.path)
        entry = self.store.record_source(fullname, self.path, data, check=False)
        code = self.codes.code(data, self.path, self.source_to_code)
        self.store.set_code_names(entry, imported_names(code))
        for listener in code_listeners:
            listener(code)
        return code

    def get_source(self, fullname: str) -> str | None:
        """The text the module ran from (``inspect``), not what the file holds now."""
        entry = self.store.by_name.get(fullname)
        if entry is not None and entry.path == self.path and entry.has_source:
            return entry.text
        return super().get_source(fullname)

    def exec_module(self, module: ModuleType) -> None:
        # Registered only once it ran: a module that raised while importing is not loaded.
        super().exec_module(module)
        self.store.loaded(module.__name__, module)


class CapturingExtensionLoader(importlib.machinery.ExtensionFileLoader):
    """Keeps a hash of a user extension module's bytes as it is loaded."""

    store: SourceStore

    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        self.store.record_extension(module.__name__, self.path)
        self.store.loaded(module.__name__, module)


class UserModuleFinder:
    """A meta path finder that asks the others, then swaps in a capturing loader."""

    def __init__(self, store: SourceStore) -> None:
        is_user_file(__file__)  # compute the foreign roots now, never inside an import
        self.store = store
        self._user_dirs: dict[str, bool] = {}
        self._meta_path: tuple[Any, ...] = ()
        self._others: list[Any] = []
        attrs = {"store": store, "codes": CodeCache()}
        self.source_loader = type("FreshSourceLoader", (CapturingSourceLoader,), attrs)
        self.ext_loader = type("FreshExtensionLoader", (CapturingExtensionLoader,), attrs)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        spec = self._spec_from_others(fullname, path, target)
        if spec is None:
            return None
        kind = type(spec.loader)
        if kind is importlib.machinery.SourceFileLoader and self.is_user(spec.origin):
            spec.loader = self.source_loader(fullname, spec.origin)
        elif kind is importlib.machinery.ExtensionFileLoader and self.is_user(spec.origin):
            spec.loader = self.ext_loader(fullname, spec.origin)
        return spec

    def is_user(self, origin: str | None) -> bool:
        """``is_user_file``, resolved once per directory (a symlinked file on its own)."""
        if not origin or os.path.islink(origin):
            return is_user_file(origin)
        directory = os.path.dirname(origin)
        known = self._user_dirs.get(directory)
        if known is None:
            known = self._user_dirs[directory] = is_user_file(origin)
        return known

    def _spec_from_others(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        for finder in self._other_finders():
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None

    def _other_finders(self) -> list[Any]:
        """The other finders, worked out again only when ``sys.meta_path`` changed."""
        finders = tuple(sys.meta_path)
        if finders != self._meta_path:
            self._meta_path = finders
            self._others = [finder for finder in finders
                            if not isinstance(finder, UserModuleFinder) and hasattr(finder, "find_spec")]
        return self._others

    def invalidate_caches(self) -> None:
        pass
