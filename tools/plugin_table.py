"""Rewrite the first-party plugin table at the end of PLUGINS.md from the installed entry points.

.venv/bin/python tools/plugin_table.py
"""

from pathlib import Path

from weasul.plugins import available

MARKER = "Generated from the installed entry points; `tests/test_plugins_doc.py` fails when it goes stale.\n"


def table() -> str:
    lines = ["| group | name | distribution | what |", "|---|---|---|---|"]
    for info in sorted(available(), key=lambda i: (i.group, i.distribution, i.name)):
        if not info.distribution.startswith("weasul-"):
            continue
        doc = (info.obj.__doc__ or "").strip().splitlines()[0] if info.status == "ok" else f"({info.status})"
        group = info.group.removeprefix("weasul.")
        lines.append(f"| `{group}` | `{info.name}` | `{info.distribution}` | {doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    path = Path(__file__).resolve().parents[1] / "PLUGINS.md"
    text = path.read_text()
    head = text.split(MARKER)[0]
    path.write_text(head + MARKER + "\n" + table())


if __name__ == "__main__":
    main()
