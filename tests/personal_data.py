"""Synthetic personal data for the tests of issue 18: valid checksums, made-up people.

Every value here is invented; ``SECRETS`` lists each unmasked form a test greps for in what
sveden stores, logs and renders.
"""

from __future__ import annotations

from artifacts.personal import _INN_W11, _INN_W12


def inn12(prefix: str) -> str:
    """A 12-digit ИНН with both check digits right, from its first ten digits."""
    n = [int(d) for d in prefix]
    n.append(sum(a * b for a, b in zip(n, _INN_W11, strict=False)) % 11 % 10)
    n.append(sum(a * b for a, b in zip(n, _INN_W12, strict=False)) % 11 % 10)
    return "".join(map(str, n))


SNILS = "112-233-445 95"  # check number 95: valid
SNILS_PLAIN = "11223344595"
SNILS_2 = "112-233-199 00"  # weighted sum 100: check number 00
PHONE_LIKE = "812-345-678 90"  # the check number would be 91: not a СНИЛС
PASSPORT = "40 12 739146"
PASSPORT_NUMBER = "739146"
INN_PERSON = inn12("4703123456")
INN_SCHOOL = "4703012342"  # valid: an organization's 10 digits
BIRTH_1 = "12.03.2018"
BIRTH_2 = "05.11.2017"
ADDRESS = "ул. Садовая, д. 17, кв. 43"
CHILD_1 = "Петрова Анна Сергеевна"
CHILD_2 = "Сидоров Илья Павлович"

# Unmasked forms that must never appear in the database, the logs or the reports.
SECRETS = (SNILS, SNILS_PLAIN, SNILS_2, SNILS_2.replace("-", "").replace(" ", ""), PASSPORT, PASSPORT_NUMBER, INN_PERSON, BIRTH_1, BIRTH_2,
           "Садовая, д. 17", "кв. 43")

ENROLMENT = f"""<h1>Приказ о зачислении в 1 класс</h1>
<table><tr><th>ФИО</th><th>Дата рождения</th></tr>
<tr><td>{CHILD_1}</td><td>{BIRTH_1}</td></tr>
<tr><td>{CHILD_2}</td><td>{BIRTH_2}</td></tr></table>"""

STAFF = f"""<h2>Список сотрудников</h2>
<p>Кузнецова Мария Ивановна, СНИЛС {SNILS}, ИНН {INN_PERSON}</p>
<p>Иванов И.И., паспорт {PASSPORT}, проживает по адресу: {ADDRESS}</p>
<p>Смирнов Олег Петрович — ребёнок-инвалид, многодетная семья</p>"""

NEGATIVES = f"""<p>Директор: Васильева Ольга Николаевна, тел. +7 (812) 123-45-67</p>
<p>ИНН {INN_SCHOOL}, КПП 470301001</p>
<p>Телефон приёмной: {PHONE_LIKE}</p>
<p><a href="/docs/pasport-dostupnosti.pdf">Паспорт доступности объекта</a></p>
<p>Адрес: 188800, Ленинградская область, г. Выборг, ул. Школьная, д. 5</p>"""
