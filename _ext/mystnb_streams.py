"""Merge a cell's stream outputs without inserting line breaks.

myst-nb's ``coalesce_streams`` strips each stream chunk and appends a newline
before joining, so one ``print(a, b)`` that the kernel happens to flush in two
chunks is shown on two lines. This joins the chunks as they were written and
only normalises the final newline, which is what the reader's terminal shows.
"""

from __future__ import annotations

from myst_nb.core import render


def coalesce_streams(outputs: list) -> list:
    merged: list = []
    streams: dict = {}
    for output in outputs or []:
        if output["output_type"] != "stream":
            merged.append(output)
        elif output["name"] in streams:
            streams[output["name"]]["text"] += output["text"]
        else:
            streams[output["name"]] = output
            merged.append(output)
    for output in streams.values():
        text = output["text"].replace("\r\n", "\n")
        # a carriage return not followed by a newline overwrites its line
        lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
        output["text"] = "\n".join(lines).rstrip() + "\n"
    return merged


def setup(app):
    render.coalesce_streams = coalesce_streams
    return {"parallel_read_safe": True, "parallel_write_safe": True}
