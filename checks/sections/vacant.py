"""«Вакантные места для приема (перевода) обучающихся» — order 1493 п.16, MR v9 /sveden/vacant."""

from checks.declare import order_1493, Section, bind, text

SECTION = Section(
    slug='vacant',
    code='VAC',
    legal=(order_1493('п.16'),),
)

RULES = bind(SECTION, (
    text(
        "VAC001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "VAC002", 'vacant', 'Главный тег. Вакантные места (строка на программу/курс/форму)',
        optional=True,
    ),
    text(
        "VAC003", 'eduCode', 'Код, шифр',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC004", 'eduName', 'Наименование профессии/специальности/направления',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC005", 'eduLevel', 'Уровень образования',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC006", 'eduProf', 'Программа, направленность, профиль',
        parent='vacant',
    ),
    text(
        "VAC007", 'eduCourse', 'Курс',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC008", 'eduForm', 'Форма обучения',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC009", 'numberBFVacant', 'Вакантные места: федеральный бюджет',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC010", 'numberBRVacant', 'Вакантные места: бюджет субъекта РФ',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC011", 'numberBMVacant', 'Вакантные места: местный бюджет',
        parent='vacant',
        optional=True,
    ),
    text(
        "VAC012", 'numberPVacant', 'Вакантные места: за счет физ./юр. лиц',
        parent='vacant',
        optional=True,
    ),
))
