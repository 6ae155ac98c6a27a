"""«Стипендии и меры поддержки обучающихся» — order 1493 п.17, MR v9 /sveden/grants."""

from checks.declare import order_1493, Section, bind, text

SECTION = Section(
    slug='grants',
    code='GRT',
    legal=(order_1493('п.17'),),
)

RULES = bind(SECTION, (
    text(
        "GRT001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "GRT002", 'grant', 'Предоставление стипендий',
        optional=True,
        note='если не предусмотрено: «Выплата стипендий не предусмотрена»',
    ),
    text(
        "GRT003", 'support', 'Меры социальной поддержки',
        optional=True,
    ),
    text(
        "GRT004", 'hostelInfo', 'Количество общежитий',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "GRT005", 'interInfo', 'Количество интернатов',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "GRT006", 'hostelNum', 'Количество мест в общежитиях',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "GRT007", 'hostelNumOvz', 'Жилые помещения в общежитии для ОВЗ',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "GRT008", 'interNum', 'Количество мест в интернатах',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "GRT009", 'interNumOvz', 'Жилые помещения в интернате для ОВЗ',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "GRT010", 'localActObSt', 'Формирование платы за проживание в общежитии',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
))
