"""«Материально-техническое обеспечение и оснащенность образовательного процесса. Доступная среда» — order 1493 п.13, MR v9 /sveden/objects."""

from checks.declare import order_1493, Section, bind, link, text

SECTION = Section(
    slug='objects',
    code='OBJ',
    legal=(order_1493('п.13'),),
)

RULES = bind(SECTION, (
    text(
        "OBJ001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "OBJ002", 'purposeCab', 'Главный тег. Оборудованные учебные кабинеты (строка)',
    ),
    text(
        "OBJ003", 'addressCab', 'Адрес',
        parent='purposeCab',
    ),
    text(
        "OBJ004", 'nameCab', 'Наименование кабинета',
        parent='purposeCab',
    ),
    text(
        "OBJ005", 'osnCab', 'Оснащенность',
        parent='purposeCab',
    ),
    text(
        "OBJ006", 'ovzCab', 'Приспособленность для инвалидов и лиц с ОВЗ',
        parent='purposeCab',
    ),
    text(
        "OBJ007", 'purposePrac', 'Главный тег. Объекты для практических занятий (строка)',
    ),
    text(
        "OBJ008", 'addressPrac', 'Адрес',
        parent='purposePrac',
    ),
    text(
        "OBJ009", 'namePrac', 'Наименование объекта',
        parent='purposePrac',
    ),
    text(
        "OBJ010", 'osnPrac', 'Оснащенность',
        parent='purposePrac',
    ),
    text(
        "OBJ011", 'ovzPrac', 'Приспособленность для инвалидов и лиц с ОВЗ',
        parent='purposePrac',
    ),
    text(
        "OBJ012", 'purposeLibr', 'Главный тег. Библиотеки (строка)',
    ),
    text(
        "OBJ013", 'objName', 'Наименование',
        parent='purposeLibr',
    ),
    text(
        "OBJ014", 'objAddress', 'Адрес',
        parent='purposeLibr',
    ),
    text(
        "OBJ015", 'objOvz', 'Приспособленность для ОВЗ',
        parent='purposeLibr',
    ),
    text(
        "OBJ016", 'purposeSport', 'Главный тег. Объекты спорта (строка)',
    ),
    text(
        "OBJ017", 'objName', 'Наименование',
        parent='purposeSport',
    ),
    text(
        "OBJ018", 'objAddress', 'Адрес',
        parent='purposeSport',
    ),
    text(
        "OBJ019", 'objOvz', 'Приспособленность для ОВЗ',
        parent='purposeSport',
    ),
    text(
        "OBJ020", 'ovz', 'Обеспечение беспрепятственного доступа в здания',
    ),
    text(
        "OBJ021", 'purposeFacil', 'Средства обучения и воспитания',
    ),
    text(
        "OBJ022", 'purposeFacilOvz', 'Приспособленные средства обучения и воспитания',
    ),
    text(
        "OBJ023", 'comNet', 'Доступ к информационным системам и ИТС',
    ),
    text(
        "OBJ024", 'comNetOvz', 'Доступ к приспособленным ИС и ИТС',
    ),
    link(
        "OBJ025", 'erList', 'Электронные образовательные ресурсы (ссылки)',
    ),
    link(
        "OBJ026", 'erListOvz', 'Приспособленные ЭОР (ссылки)',
        optional=True,
    ),
    text(
        "OBJ027", 'techOvz', 'Специальные технические средства обучения коллективного и индивидуального пользования',
        optional=True,
    ),
    text(
        "OBJ028", 'hostelInfo', 'Количество общежитий',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ029", 'interInfo', 'Количество интернатов',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ030", 'hostelNum', 'Количество мест в общежитиях',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ031", 'hostelNumOvz', 'Жилые помещения в общежитии, приспособленные для ОВЗ',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ032", 'interNum', 'Количество мест в интернатах',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ033", 'interNumOvz', 'Жилые помещения в интернате, приспособленные для ОВЗ',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ034", 'hostelInterOvz', 'Условия беспрепятственного доступа в общежитие, интернат',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
    text(
        "OBJ035", 'localActObSt', 'Формирование платы за проживание в общежитии',
        optional=True,
        applies_note='orgs with hostel/internat',
    ),
))
