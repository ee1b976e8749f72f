"""Check every internal link, anchor and asset reference of a built HTML site.

Usage: python tools/check_links.py _build/html

External links (http, https, mailto) are not followed; every relative href
and src must name an existing file, and every #fragment an existing id.
Exits 1 and lists the broken references when there are any.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag in (
                "a",
                "img",
                "link",
                "script",
                "source",
            ):
                self.refs.append(value)


def _parse(page: Path) -> _Refs:
    parser = _Refs()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def check(root: Path) -> list[str]:
    """Return one line per broken reference under ``root``."""
    # _static holds theme templates, not pages.
    files = (p for p in root.rglob("*.html") if "_static" not in p.parts)
    pages = {p.resolve(): _parse(p) for p in files}
    broken = []
    for page, parsed in pages.items():
        for ref in parsed.refs:
            parts = urlsplit(ref)
            if (
                parts.scheme
                or parts.netloc
                or ref.startswith(("mailto:", "javascript:"))
            ):
                continue
            target = (
                (page.parent / unquote(parts.path)).resolve() if parts.path else page
            )
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(root.resolve())}: missing {ref}")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and target in pages:
                if frag not in pages[target].ids:
                    broken.append(
                        f"{page.relative_to(root.resolve())}: no anchor {ref}"
                    )
    return broken


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html")
    broken = check(root)
    for line in broken:
        print(line)
    n_pages = sum(1 for p in root.rglob("*.html") if "_static" not in p.parts)
    print(f"{n_pages} pages checked, {len(broken)} broken internal references")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
