"""Every setting as a Markdown table.

``python -m mediadl.core.settings_doc`` prints it; with ``--write README.md`` it replaces the
table between the README's settings markers, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from mediadl.core.settings import Settings


def setting_rows(model: type[BaseModel], prefix: str = "MEDIADL_") -> Iterator[str]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from setting_rows(annotation, f"{prefix}{name.upper()}__")
            continue
        default = field.get_default(call_default_factory=True)
        shown = "(generated)" if name == "secret_key" else f"`{default}`"
        yield f"| `{prefix}{name.upper()}` | {shown} | {field.description or ''} |"


START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def settings_table() -> str:
    rows = "\n".join(setting_rows(Settings))
    return f"| variable | default | meaning |\n| --- | --- | --- |\n{rows}"


def write_into(readme: Path) -> None:
    text = readme.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n{settings_table()}\n{END}{tail}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write_into(Path(sys.argv[2]))
    else:
        print(settings_table())


if __name__ == "__main__":
    main()
