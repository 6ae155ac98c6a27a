"""«Международное сотрудничество» — order 1493 п.18, MR v9 /sveden/inter."""

from checks.declare import order_1493, Section, bind, text

SECTION = Section(
    slug='inter',
    code='INT',
    legal=(order_1493('п.18'),),
)

RULES = bind(SECTION, (
    text(
        "INT001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "INT002", 'internationalDog', 'Главный тег. Заключенные и планируемые договоры с иностранными/международными организациями',
        optional=True,
        note='если нет: «отсутствует» в каждой ячейке первой строки',
    ),
    text(
        "INT003", 'stateName', 'Государство',
        parent='internationalDog',
        optional=True,
    ),
    text(
        "INT004", 'orgName', 'Наименование организации',
        parent='internationalDog',
        optional=True,
    ),
    text(
        "INT005", 'dogReg', 'Реквизиты договора',
        parent='internationalDog',
        optional=True,
    ),
))
