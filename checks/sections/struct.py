"""«Структура и органы управления образовательной организацией» — order 1493 п.8, MR v9 /sveden/struct."""

from checks.declare import order_1493, Section, bind, link, text

SECTION = Section(
    slug='struct',
    code='STR',
    legal=(order_1493('п.8'),),
)

RULES = bind(SECTION, (
    text(
        "STR001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "STR002", 'structOrgUprav', 'Главный тег. Структурное подразделение / орган управления (строка)',
    ),
    text(
        "STR003", 'name', 'Наименование структурного подразделения (органа управления)',
        parent='structOrgUprav',
    ),
    text(
        "STR004", 'fio', 'ФИО руководителя структурного подразделения',
        parent='structOrgUprav',
    ),
    text(
        "STR005", 'post', 'Должность руководителя структурного подразделения',
        parent='structOrgUprav',
    ),
    text(
        "STR006", 'addressStr', 'Место нахождения структурного подразделения',
        parent='structOrgUprav',
    ),
    text(
        "STR007", 'site', 'Адрес официального сайта подразделения (при наличии)',
        parent='structOrgUprav',
        optional=True,
    ),
    text(
        "STR008", 'email', 'Адрес электронной почты подразделения (при наличии)',
        parent='structOrgUprav',
        optional=True,
    ),
    link(
        "STR009", 'divisionClauseDocLink', 'Положение о структурном подразделении (эл. документ)',
        parent='structOrgUprav',
        optional=True,
    ),
    text(
        "STR010", 'filInfo', 'Главный тег. Сведения о каждом филиале',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR011", 'nameFil', 'Наименование филиала',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR012", 'fioFil', 'ФИО руководителя филиала',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR013", 'postFil', 'Должность руководителя филиала',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR014", 'addressFil', 'Место нахождения филиала',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR015", 'emailFil', 'Эл. почта филиала',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR016", 'websiteFil', 'Сайт/страница филиала',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    link(
        "STR017", 'divisionClauseDocLink', 'Положение о филиале',
        parent='filInfo',
        optional=True,
        applies_note='orgs with branches',
    ),
    text(
        "STR018", 'repInfo', 'Главный тег. Сведения о каждом представительстве',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    text(
        "STR019", 'nameRep', 'Наименование представительства',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    text(
        "STR020", 'fioRep', 'ФИО руководителя представительства',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    text(
        "STR021", 'postRep', 'Должность руководителя представительства',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    text(
        "STR022", 'addressRep', 'Место нахождения представительства',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    text(
        "STR023", 'emailRep', 'Эл. почта представительства',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    text(
        "STR024", 'websiteRep', 'Сайт/страница представительства',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
    link(
        "STR025", 'divisionClauseDocLink', 'Положение о представительстве',
        parent='repInfo',
        optional=True,
        applies_note='orgs with representative offices',
    ),
))
