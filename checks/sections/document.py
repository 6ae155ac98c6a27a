"""«Документы» — order 1493 п.9, MR v9 /sveden/document."""

from checks.declare import Example, Status, order_1493, Section, bind, link, text

SECTION = Section(
    slug='document',
    code='DOC',
    legal=(order_1493('п.9'),),
)

RULES = bind(SECTION, (
    text(
        "DOC001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    link(
        "DOC002", 'ustavDocLink', 'Устав',
    ),
    link(
        "DOC003", 'localActStud', 'Правила внутреннего распорядка обучающихся',
    ),
    link(
        "DOC004", 'localActOrder', 'Правила внутреннего трудового распорядка',
    ),
    link(
        "DOC005", 'localActCollec', 'Коллективный договор (при наличии)',
        optional=True,
    ),
    link(
        "DOC006", 'reportEduDocLink', 'Отчёт о результатах самообследования',
    ),
    link(
        "DOC007", 'prescriptionDocLink', 'Предписания органов надзора и отчёты об исполнении (при наличии)',
        optional=True,
        note='если нет: текст «предписаний нет»',
        examples=(
            Example('<p itemprop="prescriptionDocLink">Предписаний нет</p>', Status.passed, "размеченное заявление об отсутствии предписаний"),
            Example('<p itemprop="prescriptionDocLink">Предписания органов надзора — см. ниже</p>', Status.fail, "ни документа, ни заявления об отсутствии"),
        ),
    ),
    link(
        "DOC008", 'priemDocLink', 'ЛНА: правила приема обучающихся',
    ),
    link(
        "DOC009", 'modeDocLink', 'ЛНА: режим занятий обучающихся',
    ),
    link(
        "DOC010", 'tekKontrolDocLink', 'ЛНА: формы, периодичность, порядок текущего контроля и промежуточной аттестации',
    ),
    link(
        "DOC011", 'perevodDocLink', 'ЛНА: порядок и основания перевода, отчисления, восстановления',
    ),
    link(
        "DOC012", 'vozDocLink', 'ЛНА: порядок оформления возникновения, приостановления, прекращения отношений',
    ),
))
