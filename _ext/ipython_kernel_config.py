"""IPython's configuration for the kernels that execute the site's notebook pages.

conf.py points ``IPYTHONDIR`` at a profile of the build's own (under the build
folder) and installs this file there as ``profile_default/ipython_kernel_config.py``.
So a reader's own IPython profile (its startup files and extensions) never
runs in the build, and:

- No history is kept: nothing reads it, and two kernels would write to one
  database.
- Each figure is drawn once per display, not once more for nothing. The inline
  backend draws a figure when it shows it, at the end of its cell (IPython's
  ``print_figure``). Before that, pyplot's interactive mode redraws every
  changed figure on its canvas, which under the inline backend nobody sees:
  on this site that redraw was a third of each chapter's execution time. It is
  skipped while the inline backend is in use, and only then; what the page
  shows is the same image, drawn by the same call.

The hook runs after ipykernel has chosen the backend (``exec_lines`` run once
the kernel is set up), in a namespace of its own: it leaves no name behind in
the notebook's.
"""

_SKIP_HIDDEN_REDRAW = r"""
import matplotlib
import matplotlib.pyplot as plt

_draw_all_if_interactive = plt._draw_all_if_interactive


def _draw_unless_inline():
    if "matplotlib_inline" not in matplotlib.get_backend():
        _draw_all_if_interactive()


# pyplot registers this name with IPython's post_execute event when the
# backend is first resolved, after this has run.
plt._draw_all_if_interactive = _draw_unless_inline
"""

c = get_config()  # noqa: F821  (defined by IPython when it reads this file)
c.HistoryManager.enabled = False
c.InteractiveShellApp.exec_lines = [f"exec({_SKIP_HIDDEN_REDRAW!r}, {{}})"]
