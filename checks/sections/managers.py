"""«Руководство» — order 1493 п.11, MR v9 /sveden/managers."""

from checks.declare import order_1493, Section, bind, text

SECTION = Section(
    slug='managers',
    code='MNG',
    legal=(order_1493('п.11'),),
)

RULES = bind(SECTION, (
    text(
        "MNG001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "MNG002", 'rucovodstvo', 'Главный тег. Руководитель образовательной организации',
    ),
    text(
        "MNG003", 'fio', 'ФИО',
        parent='rucovodstvo',
    ),
    text(
        "MNG004", 'post', 'Должность',
        parent='rucovodstvo',
    ),
    text(
        "MNG005", 'telephone', 'Контактные телефоны',
        parent='rucovodstvo',
    ),
    text(
        "MNG006", 'email', 'Адрес эл. почты',
        parent='rucovodstvo',
    ),
    text(
        "MNG007", 'rucovodstvoZam', 'Главный тег. Заместители руководителя (строка на заместителя)',
    ),
    text(
        "MNG008", 'fio', 'ФИО',
        parent='rucovodstvoZam',
    ),
    text(
        "MNG009", 'post', 'Должность',
        parent='rucovodstvoZam',
    ),
    text(
        "MNG010", 'telephone', 'Контактные телефоны',
        parent='rucovodstvoZam',
    ),
    text(
        "MNG011", 'email', 'Адрес эл. почты',
        parent='rucovodstvoZam',
    ),
    text(
        "MNG012", 'rucovodstvoFil', 'Главный тег. Руководители филиалов',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "MNG013", 'nameFil', 'Наименование филиала',
        parent='rucovodstvoFil',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "MNG014", 'fio', 'ФИО',
        parent='rucovodstvoFil',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "MNG015", 'post', 'Должность',
        parent='rucovodstvoFil',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "MNG016", 'telephone', 'Контактные телефоны',
        parent='rucovodstvoFil',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "MNG017", 'email', 'Адрес эл. почты',
        parent='rucovodstvoFil',
        optional=True,
        applies_note='orgs with branches',
    ),
))
