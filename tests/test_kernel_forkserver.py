"""_ext/kernel_forkserver.py: kernels forked from one server run as fresh ones."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import kernel_forkserver as kf
from jupyter_cache.executors.utils import single_nb_execution

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="fork and /proc: Linux only"
)

#: A module no kernel imports on its own: it shows what the server preloaded.
PRELOADED = "xml.dom.minidom"

FACTS = """
import json, os, sys
import matplotlib
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
print(json.dumps({
    "preloaded": PRELOADED in sys.modules,
    "cwd": os.getcwd(),
    "path0": sys.path[0],
    "argv0": sys.argv[0],
    "name": __name__,
    "own_session": os.getsid(0) == os.getpid(),
    "env": os.environ.get("NUMOPT_TEST_VALUE"),
    "mplbackend": os.environ.get("MPLBACKEND"),
    "backend": matplotlib.get_backend(),
    "parent_handle": app.parent_handle,
    "pid": os.getpid(),
}))
""".replace("PRELOADED", repr(PRELOADED))


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


def _run(nb, server: kf.ForkServer | None, cwd: Path, **kwargs):
    extra = {"kernel_manager_class": kf.kernel_manager_class(server)} if server else {}
    return single_nb_execution(
        nb,
        cwd=str(cwd),
        timeout=kwargs.pop("timeout", 120),
        allow_errors=kwargs.pop("allow_errors", False),
        **extra,
        **kwargs,
    )


def _stdout(nb, cell: int = 0) -> str:
    return "".join(
        o.get("text", "") for o in nb.cells[cell].outputs if o.output_type == "stream"
    )


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def _alive(pid: int) -> bool:
    """Running, not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_until(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for: {what}")
        time.sleep(0.05)


@pytest.fixture
def server():
    srv = kf.ForkServer([PRELOADED, "numpy.random"])
    yield srv
    srv.close()


def test_a_forked_kernel_starts_as_a_fresh_one(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NUMOPT_TEST_VALUE", "first")
    fresh = _notebook(FACTS)
    _run(fresh, None, tmp_path)
    forked = _notebook(FACTS)
    assert _run(forked, server, tmp_path).err is None
    a, b = json.loads(_stdout(fresh)), json.loads(_stdout(forked))
    assert (a.pop("preloaded"), b.pop("preloaded")) == (False, True)
    assert a.pop("pid") != b.pop("pid")
    # working directory, sys.path, __main__, session, environment, backend and
    # the traits ipykernel reads from the environment: all as in a fresh kernel
    assert b == a
    assert b["cwd"] == str(tmp_path) and b["env"] == "first"
    # the environment is the launcher's, not the server's (started above)
    monkeypatch.setenv("NUMOPT_TEST_VALUE", "second")
    again = _notebook(FACTS)
    _run(again, server, ROOT)
    facts = json.loads(_stdout(again))
    assert facts["env"] == "second" and facts["cwd"] == str(ROOT)


def test_kernels_share_nothing_but_the_imports(server, tmp_path) -> None:
    code = (
        "import sys, numpy as np\n"
        "mod = sys.modules['PRELOADED']\n"
        "print(getattr(mod, 'touched', None), np.random.random())\n"
        "mod.touched = 'by the first kernel'\n"
    ).replace("PRELOADED", PRELOADED)
    first, second = _notebook(code), _notebook(code)
    _run(first, server, tmp_path)
    _run(second, server, tmp_path)
    (t1, r1), (t2, r2) = (_stdout(nb).split() for nb in (first, second))
    assert t1 == t2 == "None"  # the first kernel's change stayed in it
    assert r1 != r2  # numpy's global generator is seeded afresh in each


def test_kernels_started_together_keep_to_their_own_notebooks(server, tmp_path) -> None:
    """Three kernels at once from one folder, as the build runs its notebooks."""
    from concurrent.futures import ThreadPoolExecutor

    nbs = [
        _notebook(
            f"print({i})",
            "import os, time\ntime.sleep(1)\nprint(os.getpid())",
            f"print({i} * 10)",
        )
        for i in range(3)
    ]
    with ThreadPoolExecutor(len(nbs)) as pool:
        results = list(pool.map(lambda nb: _run(nb, server, tmp_path), nbs))
    assert [r.err for r in results] == [None] * 3
    assert [(_stdout(nb, 0), _stdout(nb, 2)) for nb in nbs] == [
        (f"{i}\n", f"{i * 10}\n") for i in range(3)
    ]
    assert len({_stdout(nb, 1) for nb in nbs}) == 3  # three kernels
    assert not list(tmp_path.iterdir())  # no socket left beside the notebooks


def test_an_interrupt_reaches_the_kernel(server, tmp_path) -> None:
    nb = _notebook("import time\ntime.sleep(60)", "print('went on')")
    result = _run(
        nb, server, tmp_path, timeout=5, interrupt_on_timeout=True, allow_errors=True
    )
    assert result.err is None
    assert nb.cells[0].outputs[-1]["ename"] == "KeyboardInterrupt"
    assert _stdout(nb, 1) == "went on\n"


def test_a_failing_cell_fails_the_run(server, tmp_path) -> None:
    nb = _notebook("raise ValueError('from the kernel')")
    result = _run(nb, server, tmp_path)
    assert "from the kernel" in str(result.err)


def _launcher(server: kf.ForkServer, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """A launcher started as Jupyter starts a kernel, and the kernel it got."""
    sock = server.socket
    assert sock is not None
    assert server._process is not None
    before = _children(server._process.pid)
    cmd = server.kernel_cmd(
        [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")]
    )
    launcher = subprocess.Popen(
        cmd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    new: set[int] = set()

    def started() -> bool:
        new.update(_children(server._process.pid) - before)
        return bool(new)

    _wait_until(started, "the server to fork a kernel")
    (kernel,) = new
    return launcher, kernel


def test_killing_the_launcher_kills_its_kernel(server, tmp_path) -> None:
    launcher, kernel = _launcher(server, tmp_path)
    assert _alive(kernel)
    launcher.kill()
    launcher.wait()
    _wait_until(lambda: not _alive(kernel), "the kernel to end")


def test_a_signal_to_the_launcher_ends_the_kernel_and_its_status_returns(
    server, tmp_path
) -> None:
    launcher, kernel = _launcher(server, tmp_path)
    _wait_until(lambda: (tmp_path / "k.json").exists(), "the kernel to start")
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=30) == 128 + signal.SIGTERM
    assert not _alive(kernel)


def test_closing_the_server_ends_its_kernels(server, tmp_path) -> None:
    launcher, kernel = _launcher(server, tmp_path)
    folder = Path(server.socket).parent
    process = server._process
    server.close()
    assert process.poll() is not None
    assert launcher.wait(timeout=30) == 1  # the launcher lost its server
    assert not _alive(kernel)
    assert not folder.exists()
    # a closed server starts no other: kernels start the usual way again
    cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]
    assert server.kernel_cmd(cmd) == cmd and server.socket is None


def test_only_standard_python_kernels_go_through_the_server() -> None:
    server = kf.ForkServer([PRELOADED])
    try:
        other = ["/usr/bin/other-python", "-m", "ipykernel_launcher", "-f", "k.json"]
        assert server.kernel_cmd(other) == other
        julia = ["julia", "-i", "kernel.jl", "k.json"]
        assert server.kernel_cmd(julia) == julia
        assert server._process is None  # nothing asked for it: not started
        std = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json", "--x=1"]
        assert server.kernel_cmd(std) == [
            sys.executable,
            kf.__file__,
            "launch",
            server.socket,
            "-f",
            "k.json",
            "--x=1",
        ]
    finally:
        server.close()


def test_a_server_that_cannot_start_leaves_kernels_alone(tmp_path) -> None:
    server = kf.ForkServer(["numopt_no_such_module"])
    try:
        cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]
        assert server.kernel_cmd(cmd) == cmd
        assert "numopt_no_such_module" in server.error
        nb = _notebook("print(6 * 7)")
        assert _run(nb, server, tmp_path).err is None  # an ordinary kernel ran it
        assert _stdout(nb) == "42\n"
    finally:
        server.close()


def test_the_server_ends_when_its_owner_goes_away(tmp_path) -> None:
    owner = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, os; sys.path.insert(0, sys.argv[1]);"
            "import kernel_forkserver as kf;"
            "s = kf.ForkServer(['json']); s.socket; print(s._process.pid, flush=True);"
            "os._exit(0)",  # no close(): the owner dies
            str(ROOT / "_ext"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT / "_ext")},
    )
    pid = int(owner.stdout)
    _wait_until(lambda: not _alive(pid), "the orphaned server to end")


def test_a_server_closed_while_importing_ends_at_once() -> None:
    server = kf.ForkServer(["torch"])  # seconds of imports
    server.start()
    process, folder = server._process, Path(server._dir)
    assert process is not None and process.poll() is None
    server.close()
    assert process.poll() is not None
    assert not folder.exists()
    assert server.socket is None and server.error is None
