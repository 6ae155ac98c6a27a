"""The command line's own texts are Russian: help pages, usage lines, usage errors, value types."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sveden.cli import build_app
from sveden.cli_ru import RussianCommand, RussianGroup

app = build_app()

REPO = Path(__file__).resolve().parents[1]
SVEDEN = [sys.executable, "-m", "sveden.cli"]
# What Click and Typer write on their own, and the type names they show.
ENGLISH = re.compile(
    r"Usage|Options|Commands|Arguments|Error|Show this message|Invalid value|Missing|No such|Try '|for help|"
    r"Got unexpected|requires an|Did you mean|Possible options|Aborted|default:|required|env var|"
    r"\b(?:TEXT|INTEGER|FLOAT|PATH|FILE|BOOLEAN|CHOICE)\b|<(?:list|str|int|float|bool|path)\b|list\[str\]"
)


def sveden(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "COLUMNS": "100"}
    return subprocess.run([*SVEDEN, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def english(text: str) -> list[str]:
    return ENGLISH.findall(text)


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"]])
def test_help_is_russian(tmp_path, args):
    proc = sveden(*args, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not english(proc.stdout + proc.stderr), proc.stdout
    assert proc.stdout.startswith("Использование: sveden")
    assert "Показать эту справку и выйти." in proc.stdout


def test_check_help_names_the_value_types_in_russian(tmp_path):
    out = sveden("check", "--help", tmp_path=tmp_path).stdout
    assert "Использование: sveden check [ПАРАМЕТРЫ] АДРЕС" in out
    assert "Аргументы:" in out and "Параметры:" in out
    assert "-o, --output ПУТЬ" in out and "--set КЛЮЧ=ЗНАЧЕНИЕ" in out and "--format [text|json|html]" in out
    assert "[по умолчанию: text]" in out and "[обязательно]" in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["crawl", "--month", "13-2026"], "месяц должен быть в виде ГГГГ-ММ"),
        (["check"], "не указан аргумент АДРЕС"),
        (["--nosuch"], "нет такого параметра: --nosuch"),
        (["check", "x", "--format", "bad"], "недопустимое значение --format: «bad» — нет такого значения; допустимые: text, json, html"),
        (["demo", "--sites", "abc"], "«abc» — не целое число"),
        (["demo", "--sites", "5"], "должно быть не меньше 10"),
        (["crawl", "--month"], "параметру --month нужно значение"),
        (["check", "a", "b"], "лишние аргументы: b"),
        (["chek"], "нет такой команды: chek (возможно, вы имели в виду: check"),
    ],
)
def test_usage_errors_are_russian_with_exit_code_2(tmp_path, args, said):
    proc = sveden(*args, tmp_path=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stderr, proc.stderr
    assert "Ошибка: " in proc.stderr and "Traceback" not in proc.stderr
    assert not english(proc.stdout + proc.stderr), proc.stderr


def test_a_usage_error_shows_the_usage_and_where_the_help_is(tmp_path):
    err = sveden("check", tmp_path=tmp_path).stderr
    assert err.splitlines()[:2] == ["Использование: sveden check [ПАРАМЕТРЫ] АДРЕС", "Справка: sveden check --help"]


def _commands(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_command_is_russian_and_so_is_its_help():
    root = typer.main.get_command(app)
    runner = CliRunner()
    seen = 0
    for path, command in _commands(root):
        assert isinstance(command, (RussianCommand, RussianGroup)), (path, type(command))
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, (path, result.output)
        assert not english(result.output), (path, result.output)
        assert "Использование: sveden" in result.output
        seen += 1
    assert seen >= 13  # sveden, its ten commands, registry import and list


def test_a_group_without_its_command_shows_its_help():
    result = CliRunner().invoke(app, ["registry"])
    assert "Команды:" in result.output and "import" in result.output and not english(result.output)


def test_rule_titles_are_cut_at_a_word_with_an_ellipsis():
    from checks import catalogue
    from checks.model import Rule

    result = CliRunner().invoke(app, ["rules"])
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("  ")}
    cut = 0
    for rule in catalogue.audits():
        if not isinstance(rule, Rule):
            continue
        line = lines[rule.code]
        if rule.title in line:
            continue
        cut += 1
        shown = line.split("…")[0].rsplit("  ", 1)[-1].strip()
        assert "…" in line and rule.title.startswith(shown), (rule.code, line)
        assert rule.title[len(shown)] in " ,;:", (rule.code, line)  # a whole word, never half of one
    assert cut  # some titles are long enough to be cut
