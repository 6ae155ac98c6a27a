"""The command line's own texts in Russian: help pages, usage lines and usage errors.

Typer (0.29 and later) carries its own copy of Click, whose standard texts («Usage:», «Show this
message and exit.», «Missing argument…», «No such option…») are English literals rather than
gettext messages, so no translation catalogue can reach them. sveden writes them itself through
Typer's documented extension points:

- :class:`RussianTyper` is a ``typer.Typer`` whose group (``cls=``) is :class:`RussianGroup` and whose
  commands are :class:`RussianCommand`; both write the help page in Russian (:class:`_RussianHelp`),
  with Russian names of value types (ТЕКСТ, ЧИСЛО, ПУТЬ…);
- :meth:`RussianGroup.main` runs the command line in Click's non-standalone mode and reports every
  usage error itself, in Russian (:func:`error_message`), with exit code 2, as ``sveden`` reports
  its own errors: «Ошибка: …» on stderr.

``tests/test_cli_russian.py`` runs the help pages and the usage errors and finds no English in them.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Any

import typer
from typer._click import exceptions as click_exc
from typer.core import TyperCommand, TyperGroup

HELP_OPTION_HELP = "Показать эту справку и выйти."
USAGE_PREFIX = "Использование: "
OPTIONS_METAVAR = "[ПАРАМЕТРЫ]"
SUBCOMMAND_METAVAR = "КОМАНДА [АРГУМЕНТЫ]..."
# Value types as the help shows them (Click's TEXT, INTEGER, PATH…).
TYPE_NAMES = {
    "str": "ТЕКСТ", "int": "ЧИСЛО", "float": "ЧИСЛО", "decimal": "ЧИСЛО", "bool": "ДА|НЕТ",
    "path": "ПУТЬ", "file": "ФАЙЛ", "directory": "КАТАЛОГ", "datetime": "ДАТА", "date": "ДАТА", "uuid": "UUID",
}


def _type_label(param: Any, ctx: Any) -> str:
    """«ТЕКСТ», «ЧИСЛО», «[text|json|html]» for the value of a parameter."""
    label = param.display_type(ctx).strip("<>")
    many = label.startswith("list[") and label.endswith("]")
    if many:
        label = label[5:-1]
    if "|" in label:
        label = f"[{label}]"
    else:
        label = TYPE_NAMES.get(label.lower(), label.upper())
    return label


def _metavar(param: Any, ctx: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    if param.param_type_name == "argument":
        return param.name.upper()
    return _type_label(param, ctx)


def _default_text(param: Any) -> str:
    """What the help says the default is; "" when there is nothing worth saying."""
    show = getattr(param, "show_default", True)
    if show is False:
        return ""
    if isinstance(show, str):
        return show
    default = param.default
    if default is None or callable(default):  # None: decided elsewhere (the environment, a stored job)
        return ""
    if getattr(param, "is_bool_flag", False):
        if param.secondary_opts:  # --store/--no-store: name the switch that is on by default
            return (param.opts if default else param.secondary_opts)[0]
        return ""
    if default in ((), [], ""):
        return ""
    if isinstance(default, Enum):
        return str(default.value)
    if isinstance(default, (list, tuple)):
        return ", ".join(str(d.value if isinstance(d, Enum) else d) for d in default)
    return str(default)


def _range_text(param: Any) -> str:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        return f"от {low} до {high}"
    if low is not None:
        return f"не меньше {low}"
    if high is not None:
        return f"не больше {high}"
    return ""


def _help_row(param: Any, ctx: Any) -> tuple[str, str] | None:
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        name = _metavar(param, ctx)
    else:
        name = ", ".join(param.opts)
        if param.secondary_opts:
            name += " / " + ", ".join(param.secondary_opts)
        if not getattr(param, "is_flag", False):
            name += " " + _metavar(param, ctx)
    notes = []
    text = inspect.cleandoc(param.help or "")
    if getattr(param, "multiple", False) and "несколько" not in text:
        notes.append("можно несколько раз")
    if _range_text(param):
        notes.append(_range_text(param))
    default = _default_text(param)
    if default:
        notes.append(f"по умолчанию: {default}")
    if param.required:
        notes.append("обязательно")
    if notes:
        text = f"{text}  [{'; '.join(notes)}]" if text else f"[{'; '.join(notes)}]"
    return name, text


class _RussianHelp:
    """The help page and the usage line of a command or a group, in Russian."""

    def get_help_option(self, ctx):  # noqa: ANN001, ANN201 - Click's signature
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    def collect_usage_pieces(self, ctx) -> list[str]:  # noqa: ANN001
        pieces = [OPTIONS_METAVAR]
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if param.param_type_name != "argument":
                continue
            name = _metavar(param, ctx)
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_usage(self, ctx, formatter) -> None:  # noqa: ANN001
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=USAGE_PREFIX)

    def format_help(self, ctx, formatter) -> None:  # noqa: ANN001
        self.format_usage(ctx, formatter)
        text = inspect.cleandoc(self.help or "").partition("\f")[0]  # type: ignore[attr-defined]
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)
        params = self.get_params(ctx)  # type: ignore[attr-defined]
        for title, kind in (("Аргументы", "argument"), ("Параметры", "option")):
            rows = [row for p in params if p.param_type_name == kind and (row := _help_row(p, ctx))]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        self.format_commands(ctx, formatter)
        if self.epilog:  # type: ignore[attr-defined]
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(inspect.cleandoc(self.epilog))  # type: ignore[attr-defined]

    def format_commands(self, ctx, formatter) -> None:  # noqa: ANN001
        return None


class RussianCommand(_RussianHelp, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR


class RussianGroup(_RussianHelp, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["subcommand_metavar"] = kwargs.get("subcommand_metavar") or SUBCOMMAND_METAVAR
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR

    def collect_usage_pieces(self, ctx) -> list[str]:  # noqa: ANN001
        pieces = super().collect_usage_pieces(ctx)
        return [*pieces, self.subcommand_metavar] if self.commands else pieces

    def format_commands(self, ctx, formatter) -> None:  # noqa: ANN001
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.short_help or inspect.cleandoc(command.help or "").partition("\f")[0].split("\n\n")[0]))
        if rows:
            with formatter.section("Команды"):
                formatter.write_dl(rows)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's standalone mode, with the errors reported in Russian."""
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, standalone_mode=False, windows_expand_args=windows_expand_args, **extra)
        try:
            result = run(args, prog_name, complete_var, standalone_mode=False, windows_expand_args=windows_expand_args, **extra)
        except click_exc.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help())
            sys.exit(exc.exit_code)
        except click_exc.ClickException as exc:
            show_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Прервано.", err=True)
            sys.exit(1)
        # Non-standalone mode returns the exit code of typer.Exit, or the command's return value.
        sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)


class RussianTyper(typer.Typer):
    """A ``typer.Typer`` whose group and commands speak Russian."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", RussianGroup)
        super().__init__(**kwargs)

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any):  # noqa: ANN201
        return super().command(name, cls=cls or RussianCommand, **kwargs)


# --- errors ------------------------------------------------------------------------------------


def show_error(exc: click_exc.ClickException) -> None:
    ctx = getattr(exc, "ctx", None)
    lines = []
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(f"Справка: {ctx.command_path} {ctx.help_option_names[0]}")
        lines.append("")
    lines.append(f"Ошибка: {error_message(exc)}")
    typer.echo("\n".join(lines), err=True)


def _param_name(param: Any, ctx: Any = None) -> str:
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return _metavar(param, ctx)
    return " / ".join(param.opts) or param.name


def _choices(param: Any) -> list[str]:
    desc = getattr(param, "type_descriptor", None)
    choices = getattr(desc, "choices", None) if desc is not None and getattr(desc, "is_choice", False) else None
    return [str(c.value if isinstance(c, Enum) else c) for c in choices or ()]


def _value_problem(exc: click_exc.BadParameter) -> str:
    """Why the value was refused, from the validation error Typer raised it from."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return exc.message
    try:
        first = errors()[0]
    except (IndexError, TypeError):  # pragma: no cover - pydantic always gives one
        return exc.message
    kind, value, limits = first.get("type", ""), first.get("input"), first.get("ctx") or {}
    shown = f"«{value}»"
    choices = _choices(exc.param)
    if choices:
        return f"{shown} — нет такого значения; допустимые: {', '.join(choices)}"
    if kind.startswith("int_"):
        return f"{shown} — не целое число"
    if kind.startswith(("float_", "decimal_")):
        return f"{shown} — не число"
    if kind.startswith("bool_"):
        return f"{shown} — ожидается да или нет (true/false, 1/0)"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{shown} — должно быть не меньше {limits.get('ge', limits.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{shown} — должно быть не больше {limits.get('le', limits.get('lt'))}"
    return f"{shown} — недопустимое значение"


_REQUIRES = re.compile(r"requires (?:an argument|(\d+) arguments)")
_EXTRA_ARGS = re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", re.S)
_NO_COMMAND = re.compile(r"^No such command (.+?)\.(?: Did you mean (.+)\?)?$", re.S)
_TAKES = re.compile(r"takes (\d+) values")


def error_message(exc: click_exc.ClickException) -> str:
    """The Russian text of a usage error (the ones sveden raises itself are Russian already)."""
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click_exc.NoSuchOption):
        text = f"нет такого параметра: {exc.option_name}"
        if exc.possibilities:
            text += f" (возможно, вы имели в виду: {', '.join(sorted(exc.possibilities))})"
        return text
    if isinstance(exc, click_exc.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        what = {"argument": "аргумент", "option": "параметр"}.get(kind, "значение")
        text = f"не указан {what} {_param_name(exc.param, ctx)}".rstrip()
        choices = _choices(exc.param)
        return text + (f"; допустимые значения: {', '.join(choices)}" if choices else "")
    if isinstance(exc, click_exc.BadParameter):
        problem = _value_problem(exc)
        name = _param_name(exc.param, ctx) if exc.param is not None else (exc.param_hint if isinstance(exc.param_hint, str) else "")
        return f"недопустимое значение {name}: {problem}" if name else problem
    if isinstance(exc, click_exc.BadOptionUsage):
        if m := _REQUIRES.search(exc.message):
            return f"параметру {exc.option_name} нужно значение" if not m.group(1) else f"параметру {exc.option_name} нужно значений: {m.group(1)}"
        if "does not take a value" in exc.message:
            return f"параметр {exc.option_name} не принимает значения"
        return exc.message
    if isinstance(exc, click_exc.BadArgumentUsage) and (m := _TAKES.search(exc.message)):
        return f"аргументу нужно значений: {m.group(1)}"
    if isinstance(exc, click_exc.FileError):
        return f"не удалось открыть файл {exc.ui_filename}: {exc.message}"
    if isinstance(exc, click_exc.UsageError):
        message = exc.message
        if m := _EXTRA_ARGS.match(message):
            return f"лишние аргументы: {m.group(1)}"
        if message.startswith("Missing command"):
            return "не указана команда"
        if m := _NO_COMMAND.match(message):
            text = f"нет такой команды: {m.group(1).strip(chr(39))}"
            if m.group(2):
                text += f" (возможно, вы имели в виду: {m.group(2).replace(chr(39), '')})"
            return text
        return message
    return exc.format_message()

