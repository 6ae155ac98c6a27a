"""«Основные сведения» — order 1493 п.7, MR v9 /sveden/common."""

from checks.declare import Example, Status, order_1493, OrgType, Section, bind, link, text

SECTION = Section(
    slug='common',
    code='CMN',
    legal=(order_1493('п.7'),),
)

RULES = bind(SECTION, (
    text(
        "CMN001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "CMN002", 'fullName', 'О полном наименовании образовательной организации',
    ),
    text(
        "CMN003", 'shortName', 'О сокращенном (при наличии) наименовании',
        optional=True,
    ),
    text(
        "CMN004", 'regDate', 'О дате создания образовательной организации',
        note='шаблон MR: дд.мм.гггг',
        examples=(
            Example('<p>Дата создания: <span itemprop="regDate">01.09.1965</span></p>', Status.passed, "дата в формате МР: дд.мм.гггг"),
            Example('<p>Дата создания: <span itemprop="regDate">__.__.____</span></p>', Status.fail, "шаблон даты не заполнен"),
        ),
    ),
    text(
        "CMN005", 'uchredLaw', 'Главный тег. Сведения о каждом учредителе (одна строка/блок на учредителя)',
    ),
    text(
        "CMN006", 'nameUchred', 'Наименование учредителя',
        parent='uchredLaw',
    ),
    text(
        "CMN007", 'addressUchred', 'Юридический адрес учредителя',
        parent='uchredLaw',
        optional=True,
    ),
    text(
        "CMN008", 'telUchred', 'Контактные телефоны учредителя',
        parent='uchredLaw',
        optional=True,
    ),
    text(
        "CMN009", 'mailUchred', 'Адрес электронной почты учредителя',
        parent='uchredLaw',
        optional=True,
    ),
    text(
        "CMN010", 'websiteUchred', 'Адрес сайта учредителя',
        parent='uchredLaw',
        optional=True,
    ),
    text(
        "CMN011", 'address', 'О месте нахождения образовательной организации',
    ),
    text(
        "CMN012", 'workTime', 'О режиме и графике работы',
    ),
    text(
        "CMN013", 'telephone', 'О контактных телефонах',
    ),
    text(
        "CMN014", 'email', 'Об адресах электронной почты',
    ),
    link(
        "CMN015", 'licenseDocLink', 'О лицензии (выписке из реестра лицензий)',
    ),
    link(
        "CMN016", 'accreditationDocLink', 'О наличии/отсутствии гос. аккредитации (выписка из реестра)',
        optional=True,
        applies_to=frozenset({OrgType.school, OrgType.college, OrgType.university}),
        applies_note='orgs with programs subject to state accreditation (not: preschool-only, ДОП/ДПО-only, professional training-only, aspirantura, FGOS for intellectual disability)',
        note='Superseded here: 1493 п.7«и» is repealed by order 1353 from 01.03.2026 and the item now belongs in «Образование» (п.10.1«д»); MR v9 moved it there from 01.09.2025. Found only here, it should be reported as misplaced.',
        superseded_by="EDU011",
        examples=(
            Example('<a itemprop="accreditationDocLink" href="http://127.0.0.1/docs/akkr.pdf">Выписка из реестра аккредитации</a>', Status.needs_review,
                    "размещено по старым правилам: с приказом № 1353 место — «Образование»", probes={"http://127.0.0.1/docs/akkr.pdf": 200}),
            Example("<p>Лицензия и сведения об аккредитации — в подразделе «Образование»</p>", Status.not_applicable, "здесь не размещено — так и должно быть"),
        ),
    ),
    text(
        "CMN017", 'addressPlaceSet', 'Места осуществления обр. деятельности при сетевой форме',
        note="mark 'отсутствует' if none",
    ),
    text(
        "CMN018", 'addressPlacePrac', 'Места проведения практики',
        note="mark 'отсутствует' if none",
    ),
    text(
        "CMN019", 'addressPlacePodg', 'Места проведения практической подготовки обучающихся',
        note="mark 'отсутствует' if none",
    ),
    text(
        "CMN020", 'addressPlaceGia', 'Места проведения ГИА',
        note="mark 'отсутствует' if none",
    ),
    text(
        "CMN021", 'addressPlaceDop', 'Места осуществления деятельности по ДПП',
        optional=True,
        applies_note='orgs implementing additional professional programs',
    ),
    text(
        "CMN022", 'addressPlaceOppo', 'Места осуществления деятельности по основным программам профобучения',
        optional=True,
        applies_note='orgs implementing professional training programs',
    ),
))
