"""«Организация питания в образовательной организации» — order 1493 п.19, MR v9 /sveden/catering."""

from checks.declare import ALL_TYPES, OrgType, Section, bind, link, text

SECTION = Section(
    slug='catering',
    code='CAT',
    title='Организация питания в образовательной организации',
    basis='Приказ № 1493 п.19',
    link_titles=('организация питания',),
    path_aliases=('organizatsiya-pitaniya',),
)

RULES = bind(SECTION, (
    text(
        "CAT001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "CAT002", 'meals', 'Главный тег. Условия питания (строка на объект питания)',
    ),
    text(
        "CAT003", 'objName', 'Наименование объекта',
        parent='meals',
    ),
    text(
        "CAT004", 'objAddress', 'Адрес',
        parent='meals',
    ),
    text(
        "CAT005", 'objOvz', 'Приспособленность для ОВЗ',
        parent='meals',
    ),
    text(
        "CAT006", 'health', 'Условия охраны здоровья обучающихся',
    ),
))
