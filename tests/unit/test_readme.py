"""The README documents what the code has: every setting, the two commands first."""

from pathlib import Path

from mediadl.core.settings_doc import END, START, settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_settings_table_is_current():
    text = README.read_text()
    documented = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert documented == settings_table(), (
        "run: python -m mediadl.core.settings_doc --write README.md")


def test_readme_starts_with_the_two_commands():
    head = "\n".join(README.read_text().splitlines()[:10])
    assert "make run" in head and "make test" in head
