"""The pure parts of _ext/nb_prefetch.py (the build tests in test_site.py run it)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import nb_prefetch
from sphinx.errors import ExtensionError


def test_jobs_default_to_the_cpus_and_reject_bad_values(monkeypatch) -> None:
    monkeypatch.delenv("NUMOPT_DOCS_JOBS", raising=False)
    assert nb_prefetch._jobs() >= 1
    monkeypatch.setenv("NUMOPT_DOCS_JOBS", "3")
    assert nb_prefetch._jobs() == 3
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("NUMOPT_DOCS_JOBS", bad)
        with pytest.raises(ExtensionError, match="NUMOPT_DOCS_JOBS must be a positive"):
            nb_prefetch._jobs()


def _notebook(**front) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(front)
    return nb


def test_input_globs_come_from_the_front_matter() -> None:
    assert nb_prefetch._input_globs(_notebook()) == []
    nb = _notebook(nb_prefetch={"inputs": ["data/*.json", "x.txt"]})
    assert nb_prefetch._input_globs(nb) == ["data/*.json", "x.txt"]
    for bad in ("data/*.json", [1]):
        with pytest.raises(ExtensionError, match=r"nb_prefetch\.inputs must be a list"):
            nb_prefetch._input_globs(_notebook(nb_prefetch={"inputs": bad}))


def test_inputs_digest_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    a, b = tmp_path / "data" / "a.json", tmp_path / "data" / "b.json"
    a.write_text("1")
    b.write_text("2")
    assert nb_prefetch._inputs_digest(tmp_path, []) is None  # a page with no inputs
    first = nb_prefetch._inputs_digest(tmp_path, ["data/*.json"])
    assert first == nb_prefetch._inputs_digest(tmp_path, ["data/b.json", "data/a.json"])
    b.write_text("3")  # new contents
    second = nb_prefetch._inputs_digest(tmp_path, ["data/*.json"])
    assert second != first
    b.rename(tmp_path / "data" / "c.json")  # same contents, another file
    assert nb_prefetch._inputs_digest(tmp_path, ["data/*.json"]) != second
    (tmp_path / "data" / "c.json").unlink()  # one file fewer
    assert nb_prefetch._inputs_digest(tmp_path, ["data/*.json"]) == (
        nb_prefetch._inputs_digest(tmp_path, ["data/a.json"])
    )


def test_of_python_source_only_the_code_counts(tmp_path: Path) -> None:
    src = tmp_path / "pkg" / "mod.py"
    src.parent.mkdir()

    def digest(text: str) -> str | None:
        src.write_text(text)
        return nb_prefetch._inputs_digest(tmp_path, ["pkg/**/*.py"])

    base = digest(
        '"""Module."""\n\n'
        "def f(x):\n"
        '    """Square x."""\n'
        "    return x ** 2  # the square\n"
    )
    # Comments, docstrings and blank lines: the same digest.
    assert base == digest(
        '"""Another module docstring."""\n'
        "def f(x):\n"
        '    """Another one."""\n'
        "    # a comment\n"
        "    return x ** 2\n"
    )
    assert base == digest("def f(x):\n    return x ** 2\n")
    # Any change of the code: another digest.
    assert base != digest("def f(x):\n    return x ** 3\n")
    assert base != digest("def f(x):\n    return 'x ** 2'\n")
    assert base != digest("def f(x):\n    s = 'docs'\n    return x ** 2\n")
    # A file that does not parse counts by its bytes.
    broken = digest("def f(x):\n    return (\n")
    assert broken not in (None, base)
    assert broken != digest("def f(x):\n    return ( \n")


def test_a_change_of_the_inputs_makes_the_gallery_run_again(tmp_path: Path) -> None:
    gallery = tmp_path / "auto_examples"
    (gallery / "part").mkdir(parents=True)
    checksums = [gallery / "plot_a.py.md5", gallery / "part" / "plot_b.py.md5"]
    for checksum in checksums:
        checksum.write_text("0123")
    # No stamp yet (outputs of unknown code): every checksum goes.
    assert nb_prefetch._expire(gallery, "one") == 2
    assert not any(c.exists() for c in checksums)
    # The gallery then runs and writes them again; the same inputs keep them.
    for checksum in checksums:
        checksum.write_text("0123")
    assert nb_prefetch._expire(gallery, "one") == 0
    assert all(c.exists() for c in checksums)
    # Other inputs: they go, once.
    assert nb_prefetch._expire(gallery, "two") == 2
    assert not any(c.exists() for c in checksums)
    assert nb_prefetch._expire(gallery, "two") == 0
    # A clean build: the folder and its stamp are made.
    fresh = tmp_path / "fresh"
    assert nb_prefetch._expire(fresh, "one") == 0
    assert (fresh / nb_prefetch.GALLERY_STAMP).read_text() == "one"


def test_a_build_that_runs_no_example_keeps_the_gallery(tmp_path: Path) -> None:
    from types import SimpleNamespace

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("X = 1\n")
    checksum = tmp_path / "out" / "plot_a.py.md5"
    checksum.parent.mkdir()

    def build(plot_gallery: object) -> bool:
        checksum.write_text("0123")
        config = SimpleNamespace(
            nb_prefetch_inputs=["pkg/*.py"],
            plot_gallery="True",
            sphinx_gallery_conf={"gallery_dirs": ["out"], "plot_gallery": plot_gallery},
        )
        nb_prefetch.expire_gallery(SimpleNamespace(config=config, srcdir=tmp_path))
        return checksum.exists()

    assert not build("True")  # the first build: no stamp yet
    assert build("True")  # the same code
    (tmp_path / "pkg" / "mod.py").write_text("X = 2\n")
    assert build("False")  # a preview (no example runs): left for the next build
    assert build(False)
    assert not build("True")  # the next build that runs them: they run again


def _query_cache(path: str) -> None:
    from jupyter_cache import get_cache

    get_cache(path).list_cache_records()


@pytest.mark.slow
def test_a_fork_while_a_run_stores_its_outputs_can_still_use_the_cache(
    tmp_path: Path,
) -> None:
    """Sphinx forks its parallel readers while background runs write to the
    jupyter-cache. Without the lock and its fork hooks, a child forked while
    the writer is inside SQLite hangs at its first query (about one fork in
    four here); with them, none does."""
    import multiprocessing
    import threading

    from jupyter_cache.base import CacheBundleIn

    page = tmp_path / "page.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    nb.cells.append(nbformat.v4.new_code_cell("0"))
    nbformat.write(nb, page)
    cache_path = str(tmp_path / "cache")
    stop, writes = threading.Event(), []

    def store() -> None:  # what a background run does when it is over
        while not stop.is_set():
            with nb_prefetch._cache(cache_path) as cache:
                record = cache.add_nb_to_project(str(page))
                nb.cells[0].source = str(len(writes))
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, record.uri), check_validity=False, overwrite=True
                )
            writes.append(1)

    writer = threading.Thread(target=store, daemon=True)
    writer.start()
    fork = multiprocessing.get_context("fork")
    forks = 0
    try:
        for forks in range(1, 61):
            child = fork.Process(target=_query_cache, args=(cache_path,))
            child.start()
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                child.join()
                pytest.fail(f"fork {forks} hung at its first query of the cache")
            assert child.exitcode == 0
    finally:
        stop.set()
        writer.join()
    assert forks == 60
    assert len(writes) > 20  # the forks did happen while the writer was busy
