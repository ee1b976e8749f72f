"""Start notebook kernels by forking one interpreter that has imported torch.

Every notebook page runs in a kernel of its own, a fresh Python process, and
each of them used to spend about two seconds of CPU importing the same
modules (torch, numpy, matplotlib, numopt) before its first cell ran: on a
clean build of this site, seven times over, beside the gallery. Here one
process, the *fork server*, imports those modules once; each kernel is then a
``fork`` of it that goes on exactly as ``python -m ipykernel_launcher -f
CONNECTION_FILE`` would: same interpreter, working directory, environment,
arguments and standard streams, a session of its own, and no code run before
it but the imports. Nothing passes from one kernel to another: each is a copy
of the server as it was after its imports, and the server runs no user code.

Jupyter starts a kernel by running a command and watching that process; the
command here is this file's small *launcher* (``launch``), which asks the
server for a kernel, hands it its standard streams, forwards the signals
Jupyter sends (interrupt, terminate) and exits with the kernel's exit status.
When the launcher is killed, the server kills its kernel; when the process
that started the server goes away (its pipe closes), the server kills every
kernel it started and exits.

What the server may import: modules whose state after import does not depend
on the kernel's environment or arguments. matplotlib reads ``MPLBACKEND`` when
imported, so the server sets it as ipykernel would. ipykernel itself must not
be preloaded: it reads ``JPY_PARENT_PID`` (set by Jupyter for each kernel) into
a default when imported, so each kernel imports it, as a fresh one does.

``nb_prefetch`` uses it for the notebooks it executes in the background (see
:func:`kernel_manager_class`); anything else, myst-nb's own execution
included, starts kernels the usual way. Linux only (``AVAILABLE``).

Run as a script: ``kernel_forkserver.py serve SOCKET MODULE...`` (the server)
or ``kernel_forkserver.py launch SOCKET -f CONNECTION_FILE`` (the launcher).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import uuid

#: What the forked kernel runs, as ``python -m`` would.
KERNEL_MODULE = "ipykernel_launcher"
#: The backend ipykernel chooses when ``MPLBACKEND`` is not set; matplotlib
#: reads it when imported, so the server sets it before its imports.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Signals the launcher passes on to its kernel.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
#: Where kernels are forked: on Linux. (macOS does not allow a fork after
#: some system frameworks are loaded, as numpy's BLAS may load them.)
AVAILABLE = sys.platform.startswith("linux")
READY = b"ready\n"
STOP = b"stop\n"


def _send(sock: socket.socket, obj: object, fds: list[int] | None = None) -> None:
    """A length, then ``obj`` as JSON; ``fds`` travel with the length."""
    data = json.dumps(obj).encode()
    head = struct.pack("!I", len(data))
    if fds:
        socket.send_fds(sock, [head], fds)
    else:
        sock.sendall(head)
    sock.sendall(data)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket, with_fds: int = 0) -> tuple[object, list[int]]:
    fds: list[int] = []
    if with_fds:
        head, fds, _, _ = socket.recv_fds(sock, 4, with_fds)
        if not head:
            raise ConnectionError("the other side closed the connection")
        head += _recv_exactly(sock, 4 - len(head))
    else:
        head = _recv_exactly(sock, 4)
    (size,) = struct.unpack("!I", head)
    return json.loads(_recv_exactly(sock, size)), fds


# --- in the build: the server's owner and the kernel manager ---------------------


class ForkServer:
    """The fork server of one build, started by :meth:`start` or by the first
    kernel asked for.

    ``modules`` are what it imports; :meth:`close` ends it and every kernel
    it started. Thread-safe: ``nb_prefetch`` starts kernels from a pool.
    """

    def __init__(self, modules: list[str], start_timeout: float = 300) -> None:
        self.modules = list(modules)
        self.start_timeout = start_timeout  # seconds for the imports
        self.error: str | None = None  # why the server could not start
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._dir: str | None = None
        self._ready = False
        self._closed = False
        if not AVAILABLE:
            self.error = f"kernels are forked on Linux only, not on {sys.platform}"

    def start(self) -> None:
        """Start the server's imports now, without waiting for them."""
        with self._lock:
            self._spawn()

    @property
    def socket(self) -> str | None:
        """The server's socket once it is ready (starting it first if need be);
        None if it failed to start or was closed: kernels then start the usual way."""
        with self._lock:
            self._spawn()
            if self._process is not None and not self._ready:
                self._await_ready()
            if self._process is None or self._dir is None:
                return None
            return os.path.join(self._dir, "socket")

    def _spawn(self) -> None:
        """Start the server, unless it runs, failed or was closed (lock held)."""
        if self._process is not None or self.error is not None or self._closed:
            return
        self._dir = tempfile.mkdtemp(prefix="nbfork-")
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "serve",
                    os.path.join(self._dir, "socket"),
                    *self.modules,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Ctrl-C in the terminal interrupts the build, which then ends
                # the server (or the server sees the build's pipe close); the
                # server itself, outside the terminal's process group, does
                # not die half-way with a traceback of its own.
                start_new_session=True,
            )
        except OSError as exc:
            self.error = f"the kernel fork server did not start ({exc})"

    def _await_ready(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], self.start_timeout)
        if ready and process.stdout.readline() == READY:
            self._ready = True
            return
        self._process = None
        process.kill()
        process.wait()
        process.stdout.close()
        if process.stdin is not None:
            process.stdin.close()
        self.error = (
            f"the kernel fork server did not start (importing "
            f"{', '.join(self.modules)}: exit status {process.returncode})"
        )

    def kernel_cmd(self, cmd: list[str]) -> list[str]:
        """The launcher's command for a standard ipykernel command, else ``cmd``."""
        if len(cmd) < 5 or cmd[:4] != [sys.executable, "-m", KERNEL_MODULE, "-f"]:
            return cmd
        sock = self.socket
        if sock is None:
            return cmd
        return [sys.executable, __file__, "launch", sock, *cmd[3:]]

    def close(self) -> None:
        """End the server (it kills the kernels it started) and remove its socket."""
        with self._lock:
            self._closed = True
            process, self._process = self._process, None
            if process is not None:
                assert process.stdin is not None and process.stdout is not None
                if not self._ready:  # still importing: no kernel to end
                    process.kill()
                # The server also ends when this pipe closes, but processes
                # forked from this one (Sphinx's parallel readers) hold it open.
                with contextlib.suppress(OSError):
                    process.stdin.write(STOP)
                    process.stdin.flush()
                with contextlib.suppress(OSError):
                    process.stdin.close()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                process.stdout.close()
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None


def kernel_manager_class(server: ForkServer) -> type:
    """nbclient's kernel manager, starting standard Python kernels by ``server``."""
    from jupyter_client import AsyncKernelManager
    from traitlets import default

    class ForkingKernelManager(AsyncKernelManager):
        # Unix sockets instead of TCP ports: local only, and the kernel does
        # not warn that its TCP traffic is plain text.
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        # The sockets' paths, one prefix per kernel. jupyter_client's default,
        # "kernel-ipc" in the working directory, is the same for kernels
        # started at the same time from one directory: they would pick the
        # same free sockets and receive each other's messages.
        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(tempfile.gettempdir(), f"kernel-{uuid.uuid4().hex}-ipc")

        def format_kernel_cmd(
            self, extra_arguments: list[str] | None = None
        ) -> list[str]:
            return server.kernel_cmd(super().format_kernel_cmd(extra_arguments))

    return ForkingKernelManager


# --- the launcher: what Jupyter runs as "the kernel" -----------------------------


def launch(sock_path: str, argv: list[str]) -> int:
    """Ask the server for a kernel with ``argv``; wait for it; its exit status."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(sock_path)
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
        _send(sock, request, [0, 1, 2])
        (pid, _) = _recv(sock)
    except OSError as exc:  # ConnectionError included
        print(f"kernel fork server: no kernel ({exc})", file=sys.stderr)
        return 1
    assert isinstance(pid, int)

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    try:
        (status, _) = _recv(sock)
    except OSError:  # the server is gone, and so is the kernel
        return 1
    assert isinstance(status, int)
    return status


# --- the server -----------------------------------------------------------------


def _exit_status(wait_status: int) -> int:
    """The status a shell reports for a child: its exit code, or 128 + signal."""
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.waitstatus_to_exitcode(wait_status)


def serve(sock_path: str, modules: list[str]) -> dict | None:
    """Import ``modules``, then fork a kernel for each launcher that connects.

    Returns None in the server when its parent goes away, and the request in
    each forked kernel (which then runs it: see :func:`_become_kernel`).
    """
    import importlib
    import selectors

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in modules:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(16)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    kernels: dict[int, socket.socket] = {}  # pid -> its launcher's connection
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()
    while True:
        for key, _ in selector.select(timeout=0.05):
            if key.data == "parent":  # "stop", or the pipe closed: the end
                data = os.read(sys.stdin.fileno(), 1 << 16)
                if not data or STOP in data:
                    for pid in kernels:
                        _kill(pid)
                    listener.close()
                    os.unlink(sock_path)  # and its folder, if the owner could not
                    with contextlib.suppress(OSError):
                        os.rmdir(os.path.dirname(sock_path))
                    return None
            elif key.data == "accept":
                conn, _ = listener.accept()
                try:
                    request, fds = _recv(conn, with_fds=3)
                except (ConnectionError, ValueError, OSError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:  # the kernel
                    selector.close()
                    listener.close()
                    for other in kernels.values():
                        other.close()
                    conn.close()
                    for target, fd in enumerate(fds):
                        os.dup2(fd, target)
                        os.close(fd)
                    assert isinstance(request, dict)
                    return request
                for fd in fds:
                    os.close(fd)
                _send(conn, pid)
                kernels[pid] = conn
                selector.register(conn, selectors.EVENT_READ, pid)
            else:  # a launcher closed its connection: it was killed
                pid = key.data
                with contextlib.suppress(OSError):
                    if key.fileobj.recv(1):
                        continue  # launchers send nothing more; ignore it
                selector.unregister(key.fileobj)
                key.fileobj.close()
                if kernels.pop(pid, None) is not None:
                    _kill(pid)
        # reap the kernels that ended and tell their launchers how
        while kernels:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = kernels.pop(pid, None)
            if conn is not None:
                selector.unregister(conn)
                try:
                    _send(conn, _exit_status(wait_status))
                except OSError:
                    pass
                conn.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _become_kernel(request: dict) -> None:
    """In the forked child: turn into ``python -m ipykernel_launcher ARGV``."""
    import runpy

    # The server changed no signal handler and ran no code but its imports:
    # the child starts as a fresh interpreter would, in a session of its own
    # as Jupyter starts kernels.
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # `python -m` puts the working directory first on the path
    sys.path[0] = os.getcwd()
    # a fresh interpreter seeds numpy's global generator from the OS
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()
    sys.argv = [KERNEL_MODULE, *request["argv"]]
    runpy.run_module(KERNEL_MODULE, run_name="__main__", alter_sys=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "launch":
        return launch(argv[1], argv[2:])
    if len(argv) >= 2 and argv[0] == "serve":
        request = serve(argv[1], argv[2:])
        if request is not None:
            _become_kernel(request)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
