"""The table of current figures in bench/BENCHMARKS.md, between its two markers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["END", "HEADER", "START", "TOTAL", "Row", "render_rows", "rewrite_table"]

TOTAL = "total"
"""The name of the whole run's row (its command runs ``bench.run_all``)."""
START = "<!-- current:start -->"
END = "<!-- current:end -->"
HEADER = (
    "| capability | metric | PAII | baseline | target | met? | measured | command |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
)


@dataclass(frozen=True)
class Row:
    capability: str
    metric: str
    paii: str
    baseline: str
    target: str
    met: bool | None
    """None: no target, or not measured."""
    measured: str
    command: str


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def render_rows(rows: list[Row]) -> list[str]:
    met = {True: "yes", False: "**no**", None: ""}
    return [
        "| "
        + " | ".join(
            _cell(v)
            for v in (
                r.capability,
                r.metric,
                r.paii,
                r.baseline,
                r.target,
                met[r.met],
                r.measured,
                f"`{r.command}`" if r.command else "",
            )
        )
        + " |"
        for r in rows
    ]


def _split(text: str, path: Path) -> tuple[str, list[str], str]:
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise SystemExit(
            f"{path}: needs exactly one {START} line followed by one {END} line around the "
            "current-figures table; put them back (see bench/HISTORY.md for the old journal)"
        )
    head, rest = text.split(START, 1)
    body, tail = rest.split(END, 1)
    return head, body.strip("\n").splitlines(), tail


def _runs(line: str, name: str) -> bool:
    """Whether a table line is benchmark ``name``'s: its command writes NAME.figures.json
    (two benchmarks may run one module with other arguments)."""
    if name == TOTAL:
        return "-m bench.run_all " in line
    return f"/{name}.figures.json" in line


def rewrite_table(path: Path, new: dict[str, list[str]], order: list[str]) -> None:
    """Rewrite the table between the markers of ``path``: for each benchmark name of
    ``order`` (the registry's order), its rows from ``new`` when it ran now, else its rows
    already in the table (an ``--only`` run keeps the others' figures, each with its own
    measured date). Everything outside the markers stays as it is."""
    text = path.read_text()
    head, body, tail = _split(text, path)
    old = [line for line in body if line.startswith("| ") and line not in HEADER]
    lines: list[str] = []
    for name in order:
        if name in new:
            lines += new[name]
        else:
            lines += [line for line in old if _runs(line, name)]
    table = "\n".join([*HEADER, *lines])
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    tmp.replace(path)
