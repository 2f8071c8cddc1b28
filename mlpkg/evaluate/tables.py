"""One table, two renderings: markdown for model cards and ``.md`` files, plain text for a terminal."""

from __future__ import annotations

from collections.abc import Sequence


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str, title: str = "",
                 markdown: bool = False) -> str:
    """``align`` has one letter per column: ``l`` (text) or ``r`` (numbers).

    >>> print(render_table(["tag", "F1"], [["umkm", "0.868"]], "lr", "Test split"))
    Test split
    tag      F1
    ----  -----
    umkm  0.868
    """
    if markdown:
        lines = [f"**{title}**", ""] if title else []
        lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join(([title] if title else []) + [line(header), "  ".join("-" * w for w in widths)]
                     + [line(row) for row in rows])


def group_table(by_group: dict[str, dict], labels: list[str], name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of per-group metrics (:func:`~mlpkg.evaluate.metrics.metrics_by_group`): F1 and
    positives per tag ("–" where a group has neither positives nor false alarms of a tag, so F1 is
    undefined), and the mean F1 over the tags the group has positives of."""
    rows = []
    for group, m in by_group.items():
        cells, present = [], []
        for label in labels:
            t = m["per_label"][label]
            cells.append("–" if t["support"] == 0 and t["fp"] == 0 else f"{t['f1']:.3f} ({t['support']})")
            if t["support"]:
                present.append(t["f1"])
        rows.append([group, str(m["n"]), *cells, f"{sum(present) / len(present):.3f}" if present else "–"])
    return [name, "articles", *(f"{label} F1 (positives)" for label in labels), "mean F1 of its tags"], rows
