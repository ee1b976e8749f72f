"""Execute the chapters' notebooks while the gallery runs, not after it.

On its own, myst-nb executes a notebook when Sphinx reads that page: one
notebook after the other, and only after sphinx-gallery has run every example
at ``builder-inited``. On a clean build of this site that was most of the
build: kernels started one at a time while the other cores waited.

This extension looks, at ``builder-inited`` and before the gallery starts, for
every notebook page that myst-nb would execute in ``cache`` mode and whose
code is not in the jupyter-cache yet, and starts executing them in the
background, ``NUMOPT_DOCS_JOBS`` at a time (default: the number of CPUs),
the longest first. Each one runs in its own kernel, a separate process, so
the gallery and the kernels share the cores. A successful run is stored in
the cache as myst-nb would have stored it. Sphinx then reads the other pages
while the last runs finish; before it reads a notebook page
(``source-read``), it waits for that page's run, and myst-nb finds the run in
the cache and executes nothing. A marker file per run says when it is over,
so that this works in the worker processes of a parallel read (``-j``) too.

What does not change: the cache key (the notebook's code and kernel), the
working directory (the notebook's folder), the timeout and the allow-errors
setting, and which pages execute: a prose edit executes nothing, a code edit
only that page; pages in ``force`` or ``off`` mode and pages excluded from
execution are left to myst-nb. A notebook that fails is not stored: myst-nb
executes it again while reading and fails the build with the traceback, as
it always does.

A page whose outputs depend on files besides its code (the Performance page
reads the benchmark results) names them in its front matter, as globs
relative to the source folder::

    nb_prefetch:
      inputs: [benchmarks/results/*.json]

Their digest is stored with the page's record in the cache; when one of them
changes, the page runs again (and its record is replaced). They are also
noted as the page's dependencies, so that an incremental build reads the page
again when they change.

Files that every executed page depends on (the package the pages import) are
named once, in ``conf.py``::

    nb_prefetch_inputs = ["numopt/**/*.py"]

They count as inputs of every notebook page, and of every gallery example:
when they change, the gallery's checksums are dropped before the gallery
starts, so that sphinx-gallery runs every example again instead of keeping
outputs drawn by the old code. Of a Python file only the code counts: an edit
of its comments or docstrings executes nothing.

On Linux, the kernels are forked from a server (``kernel_forkserver.py``)
that has imported the modules in ``nb_prefetch_preload`` once, instead of each
kernel importing them again (about two seconds of CPU each for torch, numpy,
matplotlib and numopt). The server starts importing at ``config-inited``, while
Sphinx is still starting, and ends with the last run. An empty list (or
another system) starts every kernel the usual way.

List it right after ``myst_nb`` and before ``sphinx_gallery.gen_gallery`` in
``extensions``: it must run after myst-nb has read its configuration and
before the gallery starts.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import queue
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import Any

import kernel_forkserver
from kernel_forkserver import ForkServer, kernel_manager_class
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.matching import get_matching_files

logger = logging.getLogger(__name__)

#: Held while a background run uses the jupyter-cache, and by every fork of
#: this process. Sphinx forks its parallel readers (``-j``) while runs may
#: still be storing their outputs; a child forked while another thread was
#: inside SQLite inherits SQLite's locks held by a thread it does not have,
#: and hangs at its first query of the cache (myst-nb's, as it reads a page).
_CACHE_LOCK = threading.Lock()
os.register_at_fork(
    before=_CACHE_LOCK.acquire,
    after_in_parent=_CACHE_LOCK.release,
    after_in_child=_CACHE_LOCK.release,
)


@contextmanager
def _cache(path: str) -> Iterator[Any]:
    """The jupyter-cache at ``path``, used by no fork: its connections are
    closed before the lock is released (not later, by the garbage collector)."""
    from jupyter_cache import get_cache

    with _CACHE_LOCK:
        cache = get_cache(path)
        try:
            yield cache
        finally:
            cache.db.dispose()


class _Run:
    """One notebook page executing in the background."""

    def __init__(
        self,
        docname: str,
        path: Path,
        notebook: Any,
        read_fmt: Any,
        config: Any,
        inputs: str | None,
    ):
        self.docname = docname
        self.path = path
        self.notebook = notebook
        self.read_fmt = read_fmt
        self.config = config  # myst-nb's, with the page's own overrides
        self.inputs = inputs  # the digest of the page's input files, if any
        self.marker = Path()  # written when the run is over, with its outcome


def _jobs() -> int:
    value = os.environ.get("NUMOPT_DOCS_JOBS", "")
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise ExtensionError(
            f"NUMOPT_DOCS_JOBS must be a positive integer, got {value!r}"
        )
    return int(value)


def create_reader(app, path: Path, text: str) -> Any:
    """myst-nb's notebook reader for a page, or None for plain Markdown."""
    from myst_nb.core.read import create_nb_reader

    return create_nb_reader(str(path), app.env.myst_config, app.env.mystnb_config, text)


def _pending(app) -> list[_Run]:
    """The notebook pages myst-nb would execute now (cache mode, not cached)."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.nb_to_tokens import nb_node_to_dict

    env = app.env
    nb_config: NbParserConfig = env.mystnb_config
    if nb_config.execution_mode != "cache":
        return []
    with _cache(nb_config.execution_cache_path) as cache:
        srcdir = Path(app.srcdir)
        runs = []
        for rel in sorted(
            get_matching_files(
                srcdir,
                include_patterns=app.config.include_patterns,
                exclude_patterns=app.config.exclude_patterns,
            )
        ):
            path = srcdir / rel
            if path.suffix not in (".md", ".ipynb"):
                continue
            text = path.read_text(encoding="utf8")
            reader = create_reader(app, path, text)
            if reader is None:  # plain Markdown, no notebook
                continue
            notebook = reader.read(text)
            if not any(cell.cell_type == "code" for cell in notebook.cells):
                continue
            # The same adjustments myst-nb makes before it executes (sphinx_.py).
            kernel = notebook.metadata.get("kernelspec", {}).get("name")
            if kernel is not None:
                for rgx, alias in nb_config.kernel_rgx_aliases.items():
                    if re.fullmatch(rgx, kernel):
                        notebook.metadata["kernelspec"]["name"] = alias
                        break
            config = nb_config
            if nb_config.metadata_key in notebook.metadata:
                overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
                overrides.pop("output_folder", None)
                config = nb_config.copy(**overrides)
            if config.execution_mode != "cache":
                continue
            posix = PurePosixPath(path.as_posix())
            if any(posix.match(p) for p in config.execution_excludepatterns):
                continue
            docname = str(PurePosixPath(rel).with_suffix(""))
            if not _will_read(env, docname):
                continue  # an incremental build that does not read this page
            inputs = _inputs_digest(
                srcdir, [*app.config.nb_prefetch_inputs, *_input_globs(notebook)]
            )
            try:
                record = cache.match_cache_notebook(notebook)
            except KeyError:
                record = None
            if record is not None and record.data.get(INPUTS_KEY) == inputs:
                continue  # cached, with the same inputs: myst-nb will use it
            runs.append(_Run(docname, path, notebook, reader.read_fmt, config, inputs))
        # Longest first, so that the last one to finish does not start last: the
        # time of the page's previous run where the cache remembers one, else
        # (a first build) the length of its code.
        seconds = {
            record.uri: record.data.get("execution_seconds", 0.0)
            for record in sorted(cache.list_cache_records(), key=lambda r: r.created)
        }
    code = {
        run.docname: sum(
            len(c.source) for c in run.notebook.cells if c.cell_type == "code"
        )
        for run in runs
    }
    runs.sort(key=lambda r: (-seconds.get(str(r.path), 0.0), -code[r.docname]))
    return runs


#: Where a page's record in the cache keeps the digest of its input files.
INPUTS_KEY = "nb_prefetch_inputs"


def _input_globs(notebook: Any) -> list[str]:
    globs = notebook.metadata.get("nb_prefetch", {}).get("inputs", [])
    return _check_globs(globs, "nb_prefetch.inputs")


def _check_globs(globs: Any, name: str) -> list[str]:
    if isinstance(globs, str) or not all(isinstance(g, str) for g in globs):
        raise ExtensionError(f"{name} must be a list of globs, got {globs!r}")
    return list(globs)


def _input_files(srcdir: Path, globs: list[str]) -> list[Path]:
    return sorted({p for g in globs for p in srcdir.glob(g) if p.is_file()})


def _inputs_digest(srcdir: Path, globs: list[str]) -> str | None:
    """A digest of the files the page reads, or None for a page that names none."""
    if not globs:
        return None
    digest = hashlib.sha256()
    for path in _input_files(srcdir, globs):
        stat = path.stat()
        digest.update(path.relative_to(srcdir).as_posix().encode() + b"\0")
        digest.update(_content(path, stat.st_mtime_ns, stat.st_size) + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1024)
def _content(path: Path, mtime_ns: int, size: int) -> bytes:
    """What of a file the outputs can depend on: its bytes, or for Python
    source its code (every page asks for the same package's files: they are
    read once per build, and again only when they change)."""
    data = path.read_bytes()
    if path.suffix == ".py":
        with suppress(SyntaxError, ValueError):
            return _code(data)
    return data


def _code(source: bytes) -> bytes:
    """Python source without its comments and docstrings, as a digest input:
    an edit of those changes no output, and executes nothing again."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:]
    return ast.dump(tree).encode()


def _will_read(env: Any, docname: str) -> bool:
    """Whether this build reads ``docname`` (Sphinx's own test, or True)."""
    from sphinx.environment import CONFIG_OK

    if docname not in env.all_docs or env.config_status != CONFIG_OK:
        return True
    try:
        from sphinx.environment import _has_doc_changed
    except ImportError:  # another Sphinx version: assume it does
        return True
    return _has_doc_changed(
        docname,
        filename=env.doc2path(docname),
        reread_always=env.reread_always,
        doctreedir=env.doctreedir,
        all_docs=env.all_docs,
        dependencies=env.dependencies,
    )


def note_inputs(app, docname: str, source: list[str]) -> None:
    """source-read: a notebook page's input files (its own and those of
    ``nb_prefetch_inputs``) are its dependencies, for Sphinx."""
    shared = app.config.nb_prefetch_inputs
    if not shared and "nb_prefetch" not in source[0]:
        return
    path = Path(app.env.doc2path(docname))
    reader = create_reader(app, path, source[0])
    if reader is None:
        return
    notebook = reader.read(source[0])
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return
    srcdir = Path(app.srcdir)
    for file in _input_files(srcdir, [*shared, *_input_globs(notebook)]):
        app.env.note_dependency(str(file))


#: In each gallery folder: the digest of ``nb_prefetch_inputs`` its outputs
#: were drawn with.
GALLERY_STAMP = ".nb_prefetch_inputs"


def expire_gallery(app) -> None:
    """builder-inited, before the gallery: when the files of
    ``nb_prefetch_inputs`` have changed, every gallery example runs again."""
    globs = app.config.nb_prefetch_inputs
    conf = getattr(app.config, "sphinx_gallery_conf", None)
    if not globs or not conf:
        return
    if any(
        str(value).lower() in ("false", "0")
        for value in (conf.get("plot_gallery"), getattr(app.config, "plot_gallery", 1))
    ):  # a build that runs no example: its outputs stay as they are
        return
    srcdir = Path(app.srcdir)
    digest = _inputs_digest(srcdir, globs)
    dirs = conf.get("gallery_dirs", [])
    for folder in [dirs] if isinstance(dirs, str) else dirs:
        dropped = _expire(srcdir / folder, digest)
        if dropped:
            logger.info(
                f"[nb_prefetch] {', '.join(globs)} changed: the {dropped} "
                f"example(s) of {folder}/ run again"
            )


def _expire(gallery: Path, digest: str | None) -> int:
    """Drop the gallery's checksums unless its stamp is ``digest``; return how
    many. sphinx-gallery runs an example whose checksum is missing."""
    stamp = gallery / GALLERY_STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf8") == digest:
        return 0
    dropped = 0
    for checksum in sorted(gallery.rglob("*.md5")):
        checksum.unlink()
        dropped += 1
    gallery.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest or "", encoding="utf8")
    return dropped


class _Pool:
    """``jobs`` daemon threads that run ``work`` on each of ``runs`` in turn.

    Daemon threads, unlike a ``ThreadPoolExecutor``'s, do not hold the process
    open when the build is interrupted (Ctrl-C): Sphinx then exits at once and
    the fork server, seeing its pipe close, ends the kernels still running.
    """

    def __init__(self, jobs: int, runs: list[_Run], work: Any) -> None:
        self._runs: queue.SimpleQueue[_Run] = queue.SimpleQueue()
        for run in runs:
            self._runs.put(run)
        self._work = work
        self._cancelled = threading.Event()
        for i in range(jobs):
            threading.Thread(
                target=self._loop, name=f"nb_prefetch-{i}", daemon=True
            ).start()

    def _loop(self) -> None:
        while not self._cancelled.is_set():
            try:
                run = self._runs.get_nowait()
            except queue.Empty:
                return
            self._work(run)

    def cancel(self) -> None:
        """Start no other run (those running finish)."""
        self._cancelled.set()


class _Kernels:
    """Where the background runs get their kernels: the fork server while
    runs are left, then nothing (the server ends with the last run)."""

    def __init__(self, server: ForkServer | None, runs: int) -> None:
        self.server = server
        self.manager = kernel_manager_class(server) if server else None
        self._left = runs
        self._lock = threading.Lock()

    def done(self) -> None:
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _execute(run: _Run, cache_path: str, kernels: _Kernels) -> None:
    """Run the notebook as myst-nb's cache mode would (same cwd, timeout, ...),
    store a successful run in the cache, then leave the outcome in the marker.

    The marker is always written, so that a page never waits for nothing.
    """
    try:
        message = _execute_and_cache(run, cache_path, kernels)
    except Exception as exc:  # the cache could not be written, ...
        message = (
            f"[nb_prefetch] {run.docname}: the background run was lost "
            f"({type(exc).__name__}: {exc}); it runs again while read"
        )
        if run.inputs:  # an outdated record must not stand in for it
            _forget(run, cache_path)
    finally:
        kernels.done()
    if kernels.server is not None and kernels.server.error:
        message += f" [{kernels.server.error}: its kernel started the usual way]"
    run.marker.write_text(message, encoding="utf8")


def _forget(run: _Run, cache_path: str) -> None:
    """Remove the cache's record of the page's code, if it has one."""
    with _cache(cache_path) as cache, suppress(KeyError):
        cache.remove_cache(cache.match_cache_notebook(run.notebook).pk)


def _execute_and_cache(run: _Run, cache_path: str, kernels: _Kernels) -> str:
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    config = run.config
    cwd = TemporaryDirectory() if config.execution_in_temp else None
    try:
        result = single_nb_execution(
            run.notebook,
            cwd=cwd.name if cwd else str(run.path.parent),
            timeout=config.execution_timeout,
            allow_errors=config.execution_allow_errors,
            meta_override=True,
            # the outputs are in: end the kernel at once instead of asking it
            # to exit and polling until it has (about a second a page)
            shutdown_kernel="immediate",
            **({"kernel_manager_class": kernels.manager} if kernels.manager else {}),
        )
        error = result.err
    except Exception as exc:  # the kernel died, did not start, ...
        error = exc
    finally:
        if cwd:
            cwd.cleanup()
    if error is None:
        with _cache(cache_path) as cache:  # this thread's own connection
            if run.read_fmt:
                record = cache.add_nb_to_project(str(run.path), read_data=run.read_fmt)
            else:
                record = cache.add_nb_to_project(str(run.path))
            cache.cache_notebook_bundle(
                CacheBundleIn(
                    run.notebook,
                    record.uri,
                    data={"execution_seconds": result.time, INPUTS_KEY: run.inputs},
                ),
                check_validity=False,
                overwrite=True,
            )
        message = f"Executed notebook in {result.time:.2f} seconds (in the background)"
    else:
        if run.inputs:  # not the outdated record: myst-nb must run it again
            _forget(run, cache_path)
        message = (
            f"[nb_prefetch] {run.docname} failed in the background "
            f"({type(error).__name__}); it runs again while read"
        )
    return message


def start_server(app, config) -> None:
    """config-inited: start the kernels' fork server importing, while Sphinx
    starts up (it is closed at builder-inited if no notebook needs a run)."""
    if (
        kernel_forkserver.AVAILABLE
        and config.nb_prefetch_preload
        and config.nb_execution_mode == "cache"
    ):
        app.nb_prefetch_server = ForkServer(list(config.nb_prefetch_preload))
        app.nb_prefetch_server.start()


def check_inputs(app) -> None:
    """builder-inited: ``nb_prefetch_inputs`` is a list of globs."""
    _check_globs(app.config.nb_prefetch_inputs, "nb_prefetch_inputs")


def start(app) -> None:
    """builder-inited: start executing every notebook that is not cached."""
    if not hasattr(app.env, "mystnb_config"):
        raise ExtensionError(
            "nb_prefetch must come after myst_nb in `extensions` "
            "(it needs myst-nb's configuration)"
        )
    runs = _pending(app)
    app.nb_prefetch = {run.docname: run for run in runs}
    server = getattr(app, "nb_prefetch_server", None)
    if not runs:
        if server is not None:  # nothing to execute: it is not needed
            server.close()
        return
    cache_path = app.env.mystnb_config.execution_cache_path
    markers = Path(app.doctreedir) / "nb_prefetch" / uuid.uuid4().hex
    markers.mkdir(parents=True)
    app.nb_prefetch_markers = markers
    for run in runs:
        run.marker = markers / (run.docname.replace("/", "--") + ".done")
    jobs = min(_jobs(), len(runs))
    logger.info(
        f"[nb_prefetch] executing {len(runs)} notebook(s) in the background, "
        f"{jobs} at a time: {', '.join(r.docname for r in runs)}"
    )
    kernels = _Kernels(server, len(runs))
    app.nb_prefetch_pool = _Pool(
        jobs, runs, lambda run: _execute(run, cache_path, kernels)
    )


def wait(app, docname: str, source: list[str]) -> None:
    """source-read: before myst-nb reads a page, wait for its background run.

    Sphinx may read pages in worker processes (``-j``), where the threads of
    the main process do not exist: the run's marker file says when it is done.
    """
    run = getattr(app, "nb_prefetch", {}).get(docname)
    if run is None:
        return
    t0 = time.perf_counter()
    while not run.marker.exists():
        time.sleep(0.05)
    waited = time.perf_counter() - t0
    message = run.marker.read_text(encoding="utf8")
    if waited > 0.1:
        message += f" [waited {waited:.1f} s for it]"
    logger.info(message, location=docname)


def stop(app, exception) -> None:
    """build-finished: drop the markers; a failed build does not wait for
    runs not yet started."""
    pool = getattr(app, "nb_prefetch_pool", None)
    if pool is not None:
        pool.cancel()
    server = getattr(app, "nb_prefetch_server", None)
    if server is not None:  # ends the runs still going, after a failed build
        server.close()
    markers = getattr(app, "nb_prefetch_markers", None)
    if markers is not None:
        shutil.rmtree(markers, ignore_errors=True)


def setup(app):
    if "sphinx_gallery.gen_gallery" in app.extensions:
        raise ExtensionError(
            "list nb_prefetch before sphinx_gallery.gen_gallery in `extensions`, "
            "so that the notebooks execute while the gallery runs"
        )
    app.setup_extension("myst_nb")
    # Modules the kernels' fork server imports once for all of them.
    app.add_config_value("nb_prefetch_preload", [], "", types=[list, tuple])
    # Files every executed page and gallery example depends on (globs).
    app.add_config_value("nb_prefetch_inputs", [], "", types=[list, tuple])
    # Same priority as myst-nb's configuration and the gallery's generation:
    # handlers of equal priority run in the order they were connected.
    app.connect("config-inited", start_server)
    app.connect("builder-inited", check_inputs, priority=100)
    app.connect("builder-inited", start)
    app.connect("builder-inited", expire_gallery)
    app.connect("source-read", wait)
    app.connect("source-read", note_inputs)
    app.connect("build-finished", stop)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
