"""E-mail addresses as offices write them: one or several in a cell, separated by «,», «;» or spaces."""

from __future__ import annotations

import re

import idna

_SPLIT = re.compile(r"[,;\s]+")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def parse_address(raw: str) -> str:
    """One address, normalized (the domain in lower case, IDNA for a Cyrillic domain); ``ValueError`` with the reason."""
    v = raw.strip().strip("<>\"'«»").strip()
    if v.lower().startswith("mailto:"):
        v = v[7:]
    if v.count("@") != 1:
        raise ValueError("это не адрес электронной почты (нужен вид имя@домен.ru)")
    local, domain = v.split("@")
    if not _LOCAL.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError("недопустимые символы в имени до «@» (допустимы латинские буквы, цифры и . _ - +)")
    try:
        ascii_domain = idna.encode(domain.lower().rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValueError("недопустимое имя домена после «@»") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("недопустимое имя домена после «@» (нужен вид домен.ru)")
    return f"{local}@{ascii_domain}"


def parse_addresses(text: str) -> list[str]:
    """Every address of a cell; ``ValueError`` naming the first bad one."""
    out: list[str] = []
    for part in _SPLIT.split(text.strip()):
        if not part:
            continue
        try:
            address = parse_address(part)
        except ValueError as exc:
            raise ValueError(f"«{part}»: {exc}") from None
        if address.lower() not in {a.lower() for a in out}:
            out.append(address)
    return out


def is_email_header(header: str) -> bool:
    h = header.lower().replace("ё", "е")
    return bool(re.search(r"e-?mail|почт", h))


def is_department_header(header: str) -> bool:
    """«E-mail управления», «Почта МОУО», «E-mail муниципалитета»: the department's address."""
    h = header.lower().replace("ё", "е")
    return is_email_header(h) and bool(re.search(r"управлен|моуо|муниципал|департамент|отдел|department|municipal", h))
