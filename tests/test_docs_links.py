"""The README and docs/ stay walkable: short front page, every link resolving inside the
repository (files, and headings within them), no link to a place a reader does not have."""

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200
PARSER = MarkdownIt("commonmark").enable("table")


def links(page: Path) -> list[str]:
    found: list[str] = []
    for token in PARSER.parse(page.read_text()):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrGet("href")))
    return found


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces to -."""
    tokens = PARSER.parse(page.read_text())
    titles = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in titles}


def test_the_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= README_MAX_LINES


def test_every_document_is_listed_in_the_readme() -> None:
    listed = {href for href in links(ROOT / "README.md") if href.startswith("docs/")}
    assert {f"docs/{page.name}" for page in PAGES[1:]} <= {h.split("#")[0] for h in listed}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_resolves_inside_the_repository(page: Path) -> None:
    for href in links(page):
        if href.startswith(("http://127.0.0.1", "https://github.com/wg/wrk")):
            continue  # the running service's own pages; wrk's home, named as a tool
        assert not href.startswith(("http://", "https://")), f"{page.name}: external {href}"
        path, _, anchor = href.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {href} does not exist"
        assert target.is_relative_to(ROOT), f"{page.name}: {href} leaves the repository"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), f"{page.name}: no heading for {href}"


def test_the_architecture_page_names_every_part_of_the_package() -> None:
    """docs/architecture.md stays true: each module and folder at the package's top level is
    in its table."""
    package = ROOT / "services/users/src/users_service"
    page = (ROOT / "docs/architecture.md").read_text()
    parts = [p.name for p in package.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()]
    for name in parts:
        if name != "__init__.py":
            assert f"`{name}/`" in page or f"`{name}`" in page, name
