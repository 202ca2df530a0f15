"""Words printed on documents, in Russian, Ukrainian and English.

Kept as data rather than gettext catalogues so that a document renders the same on every instance,
whatever its translation files, and so that a court receives exactly the wording reviewed here.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("ru", "uk", "en")

COMMON: dict[str, dict[str, str]] = {
    "document_number": {"ru": "Номер документа", "uk": "Номер документа", "en": "Document number"},
    "created": {"ru": "Создан", "uk": "Створено", "en": "Created"},
    "content_hash": {
        "ru": "SHA-256 содержания",
        "uk": "SHA-256 змісту",
        "en": "SHA-256 of the content",
    },
    "verify_at": {"ru": "Проверка", "uk": "Перевірка", "en": "Verify at"},
    "scan_to_verify": {
        "ru": "Отсканируйте для проверки подлинности",
        "uk": "Відскануйте для перевірки справжності",
        "en": "Scan to verify authenticity",
    },
    "authenticity_note": {
        "ru": "Подлинность и неизменность документа можно проверить по QR-коду или по адресу в нижнем "
        "колонтитуле: страница проверки сообщает только, выдавался ли документ с этим номером и совпадает "
        "ли файл с выданным. SHA-256 содержания вычисляется по каноническим данным документа (JSON), "
        "без номера и времени создания.",
        "uk": "Справжність і незмінність документа можна перевірити за QR-кодом або за адресою в нижньому "
        "колонтитулі: сторінка перевірки повідомляє лише, чи видавався документ із цим номером і чи "
        "збігається файл із виданим. SHA-256 змісту обчислюється за канонічними даними документа (JSON), "
        "без номера та часу створення.",
        "en": "Check that this document is authentic and unaltered with the QR code or the address in the "
        "footer: the verification page says only whether a document with this number was issued and whether "
        "the file matches it. The SHA-256 of the content is taken over the document's canonical data (JSON), "
        "without its number and creation time.",
    },
    "none_recorded": {"ru": "Не зарегистрировано.", "uk": "Не зареєстровано.", "en": "None recorded."},
    "unknown": {"ru": "неизвестно", "uk": "невідомо", "en": "unknown"},
    "person": {"ru": "Разыскиваемое лицо", "uk": "Особа, яку розшукують", "en": "The person sought"},
    "name": {"ru": "Имя", "uk": "Ім'я", "en": "Name"},
    "birth_date": {"ru": "Дата рождения", "uk": "Дата народження", "en": "Date of birth"},
    "birth_place": {"ru": "Место рождения", "uk": "Місце народження", "en": "Place of birth"},
    "service_number": {"ru": "Личный номер", "uk": "Особистий номер", "en": "Service number"},
    "unit": {"ru": "Воинская часть", "uk": "Військова частина", "en": "Unit"},
    "rank": {"ru": "Звание", "uk": "Звання", "en": "Rank"},
    "case_number": {"ru": "Номер дела", "uk": "Номер справи", "en": "Case number"},
    "organisation": {"ru": "Организация", "uk": "Організація", "en": "Organisation"},
    "yes": {"ru": "да", "uk": "так", "en": "yes"},
    "no": {"ru": "нет", "uk": "ні", "en": "no"},
}

KIND_LABELS: dict[str, dict[str, dict[str, Any]]] = {
    "certificate": {
        "title": {
            "ru": "Справка о запросе на розыск",
            "uk": "Довідка про запит на розшук",
            "en": "Certificate of tracing request",
        },
        "subtitle": {
            "ru": "Датированный перечень всех запросов и ответов по делу",
            "uk": "Датований перелік усіх запитів і відповідей у справі",
            "en": "A dated record of every inquiry made and every answer received",
        },
        "requests": {"ru": "Запросы семьи", "uk": "Запити родини", "en": "The family's requests"},
        "requests_headers": {
            "ru": ["Номер", "Подан", "Канал", "Заявитель (родство)", "Статус"],
            "uk": ["Номер", "Подано", "Канал", "Заявник (спорідненість)", "Статус"],
            "en": ["Number", "Submitted", "Channel", "Enquirer (relationship)", "Status"],
        },
        "inquiries": {
            "ru": "Запросы в органы и организации",
            "uk": "Запити до органів і організацій",
            "en": "Inquiries to authorities and organisations",
        },
        "inquiries_intro": {
            "ru": "Что, у кого и когда запрошено, и что ответили. Отсутствие ответа указано с числом дней "
            "ожидания на дату документа.",
            "uk": "Що, у кого і коли запитано, і що відповіли. Відсутність "
            "відповіді зазначено з кількістю днів "
            "очікування на дату документа.",
            "en": "What was asked of whom and when, and what was answered. A "
            "missing answer is shown with the "
            "days waited as of the date of this document.",
        },
        "inquiries_headers": {
            "ru": ["Дата запроса", "Адресат", "Вопрос", "Дата ответа", "Ответ"],
            "uk": ["Дата запиту", "Адресат", "Питання", "Дата відповіді", "Відповідь"],
            "en": ["Asked on", "Asked of", "Question", "Answered on", "Answer"],
        },
        "answers": {
            "ru": "Полученные официальные сведения",
            "uk": "Отримані офіційні відомості",
            "en": "Official statements received",
        },
        "answers_headers": {
            "ru": ["Дата", "Источник", "Кем выдан", "Сведения", "Реквизиты"],
            "uk": ["Дата", "Джерело", "Ким видано", "Відомості", "Реквізити"],
            "en": ["Date", "Source", "Issued by", "Statement", "Reference"],
        },
        "no_answers": {
            "ru": "Официальных сведений о судьбе не поступало.",
            "uk": "Офіційних відомостей про долю не надходило.",
            "en": "No official statement about his fate has been received.",
        },
        "fate": {
            "ru": "Текущая фактическая судьба и её источники",
            "uk": "Поточна фактична доля та її джерела",
            "en": "Current factual fate and its sources",
        },
    },
    "dossier": {
        "title": {
            "ru": "Доказательное досье для суда",
            "uk": "Доказове досьє для суду",
            "en": "Evidence dossier for a court application",
        },
        "subtitle": {
            "ru": "О признании лица безвестно отсутствующим или объявлении умершим",
            "uk": "Про визнання особи безвісно відсутньою або оголошення померлою",
            "en": "To recognise a person as missing or declare him dead",
        },
        "disclaimer": {
            "ru": "Это собрание доказательств для суда, а не юридическое заключение. Сроки рассчитаны по "
            "правилам, хранящимся в системе; перед подачей заявления проверьте их по действующему закону.",
            "uk": "Це збірка доказів для суду, а не юридичний висновок. Строки розраховано за правилами, "
            "що зберігаються в системі; перед поданням заяви перевірте їх за чинним законом.",
            "en": "This is evidence for a court, not a legal opinion. Deadlines are computed from the rules "
            "kept in the system; check them against the law in force before filing an application.",
        },
        "chronology": {
            "ru": "Хронология сведений",
            "uk": "Хронологія відомостей",
            "en": "Chronology of claims",
        },
        "chronology_headers": {
            "ru": [
                "Дата источника",
                "Источник (вид, надёжность)",
                "Сведения",
                "Место, обстоятельства",
                "Статус",
            ],
            "uk": ["Дата джерела", "Джерело (вид, надійність)", "Відомості", "Місце, обставини", "Статус"],
            "en": [
                "Source date",
                "Source (kind, reliability)",
                "Statement",
                "Place, circumstances",
                "Status",
            ],
        },
        "witnesses": {"ru": "Показания свидетелей", "uk": "Показання свідків", "en": "Witness statements"},
        "official": {
            "ru": "Официальные ответы или их отсутствие",
            "uk": "Офіційні відповіді або їх відсутність",
            "en": "Official answers, or their absence",
        },
        "official_headers": {
            "ru": ["Дата запроса", "Адресат", "Вопрос", "Дата ответа", "Ответ"],
            "uk": ["Дата запиту", "Адресат", "Питання", "Дата відповіді", "Відповідь"],
            "en": ["Asked on", "Asked of", "Question", "Answered on", "Answer"],
        },
        "dna": {"ru": "Результаты ДНК", "uk": "Результати ДНК", "en": "DNA results"},
        "no_dna": {
            "ru": "Результатов ДНК-идентификации нет.",
            "uk": "Результатів ДНК-ідентифікації немає.",
            "en": "There are no DNA identification results.",
        },
        "legal": {
            "ru": "Правовой статус и сроки",
            "uk": "Правовий статус і строки",
            "en": "Legal status and deadlines",
        },
        "deadline_headers": {
            "ru": ["Не ранее", "Шаг", "Наступил"],
            "uk": ["Не раніше", "Крок", "Настав"],
            "en": ["Not before", "Step", "Reached"],
        },
        "checklist": {
            "ru": "Что должно содержать заявление",
            "uk": "Що має містити заява",
            "en": "What the application must state",
        },
        "fate": {"ru": "Фактическая судьба", "uk": "Фактична доля", "en": "Factual fate"},
    },
    "dna-report": {
        "title": {
            "ru": "Отчёт об идентификации по ДНК",
            "uk": "Звіт про ідентифікацію за ДНК",
            "en": "DNA identification report",
        },
        "subtitle_caseworker": {
            "ru": "Экземпляр специалиста по делу (с именами)",
            "uk": "Примірник фахівця у справі (з іменами)",
            "en": "Caseworker's copy (with names)",
        },
        "subtitle_lab": {
            "ru": "Экземпляр лаборатории (только коды образцов)",
            "uk": "Примірник лабораторії (лише коди зразків)",
            "en": "Laboratory copy (sample codes only)",
        },
        "samples": {"ru": "Образцы", "uk": "Зразки", "en": "Samples"},
        "samples_headers": {
            "ru": ["Код", "Вид", "Роль в родословной", "Имя"],
            "uk": ["Код", "Вид", "Роль у родоводі", "Ім'я"],
            "en": ["Code", "Kind", "Role in the pedigree", "Name"],
        },
        "lab": {"ru": "Лаборатория", "uk": "Лабораторія", "en": "Laboratory"},
        "markers": {"ru": "Маркеры", "uk": "Маркери", "en": "Markers"},
        "pedigree": {"ru": "Родословная", "uk": "Родовід", "en": "Pedigree"},
        "pedigree_legend": {
            "ru": "Квадрат: мужчина, круг: женщина; закрашен: типирован; двойная рамка: разыскиваемое лицо.",
            "uk": "Квадрат: чоловік, коло: жінка; зафарбовано: типовано; подвійна "
            "рамка: особа, яку розшукують.",
            "en": "Square: male, circle: female; filled: typed; double frame: the missing person.",
        },
        "lr_table": {
            "ru": "Отношение правдоподобия по маркерам",
            "uk": "Відношення правдоподібності за маркерами",
            "en": "Likelihood ratio per marker",
        },
        "lr_headers": {
            "ru": ["Маркер", "Генотип останков", "LR"],
            "uk": ["Маркер", "Генотип решток", "LR"],
            "en": ["Marker", "Remains genotype", "LR"],
        },
        "total_lr": {"ru": "Общее LR", "uk": "Загальне LR", "en": "Total LR"},
        "prior": {"ru": "Априорная вероятность", "uk": "Апріорна ймовірність", "en": "Prior probability"},
        "posterior": {
            "ru": "Апостериорная вероятность",
            "uk": "Апостеріорна ймовірність",
            "en": "Posterior probability",
        },
        "conclusion": {"ru": "Вывод", "uk": "Висновок", "en": "Conclusion"},
        "method": {"ru": "Методика", "uk": "Методика", "en": "Method"},
        "hypotheses": {"ru": "Гипотезы", "uk": "Гіпотези", "en": "Hypotheses"},
        "status": {"ru": "Статус", "uk": "Статус", "en": "Status"},
    },
    "statistics": {
        "title": {
            "ru": "Сводная статистика",
            "uk": "Зведена статистика",
            "en": "Aggregate statistics",
        },
        "subtitle": {
            "ru": "Публичные показатели и оценки",
            "uk": "Публічні показники та оцінки",
            "en": "Public figures and estimates",
        },
        "aggregates": {"ru": "Показатели", "uk": "Показники", "en": "Figures"},
        "aggregates_headers": {
            "ru": ["Группа", "Значение", "Число лиц"],
            "uk": ["Група", "Значення", "Кількість осіб"],
            "en": ["Group", "Value", "Persons"],
        },
        "chart": {"ru": "Диаграмма", "uk": "Діаграма", "en": "Chart"},
        "estimates": {"ru": "Оценки", "uk": "Оцінки", "en": "Estimates"},
        "estimates_headers": {
            "ru": ["Величина", "Оценка", "95% интервал", "Метод"],
            "uk": ["Величина", "Оцінка", "95% інтервал", "Метод"],
            "en": ["Quantity", "Estimate", "95% interval", "Method"],
        },
        "no_estimates": {"ru": "Оценок нет.", "uk": "Оцінок немає.", "en": "No estimates."},
        "method": {"ru": "Методика", "uk": "Методика", "en": "Method note"},
        "suppressed": {
            "ru": "«<{k}»: число меньше {k} скрыто для защиты семей.",
            "uk": "«<{k}»: число менше {k} приховано для захисту родин.",
            "en": "'<{k}': counts below {k} are suppressed to protect families.",
        },
    },
}

KIND_LABELS["dossier"]["answers_headers"] = KIND_LABELS["certificate"]["answers_headers"]
KIND_LABELS["dossier"]["no_answers"] = KIND_LABELS["certificate"]["no_answers"]

#: Translations of stored codes (fates, source kinds, confidence, legal statuses, channels).
TERMS: dict[str, dict[str, str]] = {
    # fates
    "alive": {"ru": "жив", "uk": "живий", "en": "alive"},
    "wounded": {"ru": "ранен", "uk": "поранений", "en": "wounded"},
    "detained": {"ru": "в плену / задержан", "uk": "у полоні / затриманий", "en": "detained"},
    "missing": {"ru": "пропал без вести", "uk": "зник безвісти", "en": "missing"},
    "dead": {"ru": "погиб", "uk": "загинув", "en": "dead"},
    "buried": {"ru": "похоронен", "uk": "похований", "en": "buried"},
    "identified": {"ru": "идентифицирован", "uk": "ідентифікований", "en": "identified"},
    "unknown": {"ru": "неизвестна", "uk": "невідома", "en": "unknown"},
    # confidence
    "none": {"ru": "нет сведений", "uk": "немає відомостей", "en": "no information"},
    "probable": {"ru": "вероятно", "uk": "ймовірно", "en": "probable"},
    "disputed": {"ru": "оспаривается", "uk": "суперечливо", "en": "disputed"},
    "confirmed": {"ru": "подтверждено", "uk": "підтверджено", "en": "confirmed"},
    # source kinds
    "family_report": {"ru": "сообщение семьи", "uk": "повідомлення родини", "en": "family report"},
    "testimony": {"ru": "свидетельские показания", "uk": "показання свідка", "en": "testimony"},
    "unit_notice": {
        "ru": "извещение воинской части",
        "uk": "сповіщення військової частини",
        "en": "unit notice",
    },
    "ministry_letter": {"ru": "письмо министерства", "uk": "лист міністерства", "en": "ministry letter"},
    "prisoner_list": {"ru": "список пленных", "uk": "список полонених", "en": "prisoner list"},
    "exchange_list": {"ru": "список обмена", "uk": "список обміну", "en": "exchange list"},
    "obituary": {"ru": "некролог", "uk": "некролог", "en": "obituary"},
    "media": {"ru": "сообщение СМИ", "uk": "повідомлення ЗМІ", "en": "media report"},
    "burial_record": {"ru": "запись о захоронении", "uk": "запис про поховання", "en": "burial record"},
    "death_certificate": {
        "ru": "свидетельство о смерти",
        "uk": "свідоцтво про смерть",
        "en": "death certificate",
    },
    "dna_report": {"ru": "заключение ДНК", "uk": "висновок ДНК", "en": "DNA report"},
    "other": {"ru": "иное", "uk": "інше", "en": "other"},
    # request status and channels
    "new": {"ru": "новый", "uk": "новий", "en": "new"},
    "in_progress": {"ru": "в работе", "uk": "у роботі", "en": "in progress"},
    "answered": {"ru": "дан ответ", "uk": "надано відповідь", "en": "answered"},
    "closed": {"ru": "закрыт", "uk": "закрито", "en": "closed"},
    "web": {"ru": "веб-форма", "uk": "веб-форма", "en": "web form"},
    "phone": {"ru": "телефон", "uk": "телефон", "en": "phone"},
    "hotline": {"ru": "горячая линия", "uk": "гаряча лінія", "en": "hotline"},
    "letter": {"ru": "письмо", "uk": "лист", "en": "letter"},
    "in_person": {"ru": "лично", "uk": "особисто", "en": "in person"},
    "partner": {
        "ru": "партнёрская организация",
        "uk": "партнерська організація",
        "en": "partner organisation",
    },
    # legal statuses ("legal_none" because "none" is the confidence term)
    "legal_none": {"ru": "не установлен", "uk": "не встановлено", "en": "none"},
    "certificate_requested": {
        "ru": "запрошена справка",
        "uk": "запитано довідку",
        "en": "certificate requested",
    },
    "recognised_missing": {
        "ru": "признан безвестно отсутствующим",
        "uk": "визнаний безвісно відсутнім",
        "en": "recognised missing by a court",
    },
    "declared_dead": {
        "ru": "объявлен умершим",
        "uk": "оголошений померлим",
        "en": "declared dead by a court",
    },
    "death_registered": {
        "ru": "смерть зарегистрирована",
        "uk": "смерть зареєстровано",
        "en": "death registered",
    },
    "payments_claimed": {"ru": "выплаты запрошены", "uk": "виплати запитано", "en": "payments claimed"},
    # samples
    "reference": {"ru": "образец родственника", "uk": "зразок родича", "en": "reference sample"},
    "remains": {"ru": "образец останков", "uk": "зразок решток", "en": "remains sample"},
    "retracted": {"ru": "отозвано", "uk": "відкликано", "en": "retracted"},
    "current": {"ru": "действует", "uk": "чинне", "en": "in force"},
    "no_answer": {"ru": "ответа нет", "uk": "відповіді немає", "en": "no answer"},
    "yes": {"ru": "да", "uk": "так", "en": "yes"},
    "no": {"ru": "нет", "uk": "ні", "en": "no"},
    "fate": {"ru": "судьба", "uk": "доля", "en": "fate"},
    "region": {"ru": "регион", "uk": "регіон", "en": "region"},
    "recovered": {"ru": "найдены", "uk": "знайдені", "en": "recovered"},
    "returned": {"ru": "переданы семье", "uk": "передані родині", "en": "returned to the family"},
    # DNA report: status, pedigree roles, hypotheses
    "dna_identified": {
        "ru": "идентификация подтверждена двумя сотрудниками",
        "uk": "ідентифікацію підтверджено двома працівниками",
        "en": "identification confirmed by two staff members",
    },
    "dna_unconfirmed": {
        "ru": "кандидат скрининга, НЕ подтверждён: не сообщать семье до решения специалистов",
        "uk": "кандидат скринінгу, НЕ підтверджений: не повідомляти родині до рішення фахівців",
        "en": "screening candidate, NOT confirmed: not to be given to the family before staff decide",
    },
    "missing person": {"ru": "разыскиваемое лицо", "uk": "особа, яку розшукують", "en": "missing person"},
    "mother": {"ru": "мать", "uk": "мати", "en": "mother"},
    "father": {"ru": "отец", "uk": "батько", "en": "father"},
    "sister": {"ru": "сестра", "uk": "сестра", "en": "sister"},
    "brother": {"ru": "брат", "uk": "брат", "en": "brother"},
    "son": {"ru": "сын", "uk": "син", "en": "son"},
    "daughter": {"ru": "дочь", "uk": "донька", "en": "daughter"},
    "wife": {"ru": "жена", "uk": "дружина", "en": "wife"},
    "husband": {"ru": "муж", "uk": "чоловік", "en": "husband"},
    "H1: the remains are the missing person of this pedigree": {
        "ru": "H1: останки принадлежат разыскиваемому лицу этой родословной",
        "uk": "H1: рештки належать особі цього родоводу, яку розшукують",
        "en": "H1: the remains are the missing person of this pedigree",
    },
    "H2: the remains are of a person unrelated to the pedigree": {
        "ru": "H2: останки принадлежат человеку, не родственному этой семье",
        "uk": "H2: рештки належать людині, яка не є родичем цієї родини",
        "en": "H2: the remains are of a person unrelated to the pedigree",
    },
    "excluded: the findings are impossible under H1": {
        "ru": "исключено: результаты невозможны при H1",
        "uk": "виключено: результати неможливі за H1",
        "en": "excluded: the findings are impossible under H1",
    },
    "no support for either proposition (LR close to 1)": {
        "ru": "ни одна из гипотез не поддерживается (LR близко к 1)",
        "uk": "жодна з гіпотез не підтримується (LR близько до 1)",
        "en": "no support for either proposition (LR close to 1)",
    },
}

#: The ENFSI (2015) verbal scale of ``kinlink.genetics.report.verbal_equivalent`` in every language.
_VERBAL_WORDS: dict[str, tuple[str, str]] = {
    "extremely strong support": ("исключительно сильная поддержка", "надзвичайно сильна підтримка"),
    "very strong support": ("очень сильная поддержка", "дуже сильна підтримка"),
    "strong support": ("сильная поддержка", "сильна підтримка"),
    "moderately strong support": ("умеренно сильная поддержка", "помірно сильна підтримка"),
    "moderate support": ("умеренная поддержка", "помірна підтримка"),
    "weak support": ("слабая поддержка", "слабка підтримка"),
}
for _words, (_ru, _uk) in _VERBAL_WORDS.items():
    for _h in ("H1", "H2"):
        TERMS[f"{_words} for {_h}"] = {
            "ru": f"{_ru} гипотезы {_h}",
            "uk": f"{_uk} гіпотези {_h}",
            "en": f"{_words} for {_h}",
        }

#: Fixed phrases used by the payload builders, with ``{placeholders}``.
PHRASES: dict[str, dict[str, str]] = {
    "dna_method_engine": {
        "ru": "Точное правдоподобие родословной по каждому маркеру (kinlink.genetics): H1 — останки "
        "принадлежат разыскиваемому лицу; H2 — останки принадлежат человеку, не родственному членам "
        "родословной. Общее отношение правдоподобия (LR) — произведение по маркерам. "
        "Словесная шкала: {scale}.",
        "uk": "Точна правдоподібність родоводу за кожним маркером (kinlink.genetics): H1 — останки належать "
        "особі, яку розшукують; H2 — останки належать людині, не спорідненій із членами родоводу. Загальне "
        "відношення правдоподібності (LR) — добуток за маркерами. Словесна шкала: {scale}.",
        "en": "Exact pedigree likelihood per marker (kinlink.genetics): H1, the remains are the missing "
        "person; H2, the remains are of a person unrelated to the pedigree. The total LR is the product "
        "over the markers. Verbal scale: {scale}.",
    },
    "dna_marker_count": {
        "ru": "аутосомные STR, маркеров: {n}",
        "uk": "аутосомні STR, маркерів: {n}",
        "en": "{n} autosomal STR markers",
    },
    "dna_method_theta": {
        "ru": "Поправка на субструктуру популяции θ = {theta}.",
        "uk": "Поправка на субструктуру популяції θ = {theta}.",
        "en": "Population substructure correction θ = {theta}.",
    },
    "dna_method_frequencies": {
        "ru": "Частоты аллелей: {file} (SHA-256 {sha}…).",
        "uk": "Частоти алелів: {file} (SHA-256 {sha}…).",
        "en": "Allele frequencies: {file} (SHA-256 {sha}…).",
    },
    "dna_method_mutation": {
        "ru": "Модель мутаций: {model}.",
        "uk": "Модель мутацій: {model}.",
        "en": "Mutation model: {model}.",
    },
    "dna_method_no_mutation": {
        "ru": "Без модели мутаций.",
        "uk": "Без моделі мутацій.",
        "en": "No mutation model.",
    },
    "dna_method_prior": {
        "ru": "Априорная вероятность: {basis}.",
        "uk": "Апріорна ймовірність: {basis}.",
        "en": "Prior: {basis}.",
    },
    "dna_method_screening": {
        "ru": "Кандидат скрининга {candidate}, прогон {run}, LR скрининга {lr}.",
        "uk": "Кандидат скринінгу {candidate}, запуск {run}, LR скринінгу {lr}.",
        "en": "Screening candidate {candidate}, run {run}, screening LR {lr}.",
    },
    "dna_method_notes": {
        "ru": "Примечания расчёта: {notes}",
        "uk": "Примітки розрахунку: {notes}",
        "en": "Notes of the computation: {notes}",
    },
    "dna_prior_screened": {
        "ru": "один из {n}: каждый из {n} разыскиваемых, включённых в скрининг, априори равновероятен",
        "uk": "один із {n}: кожен із {n} зниклих, включених у скринінг, апріорі рівноймовірний",
        "en": "one in {n}: each of the {n} missing persons screened is equally likely a priori",
    },
    "dna_prior_equal": {
        "ru": "равные априорные вероятности: проверена только одна семья",
        "uk": "рівні апріорні ймовірності: перевірено лише одну родину",
        "en": "equal prior: only one family was screened",
    },
    "waited": {
        "ru": "ответа нет ({days} дн. на {date})",
        "uk": "відповіді немає ({days} дн. на {date})",
        "en": "no answer ({days} days as of {date})",
    },
    "fate_value": {"ru": "Судьба", "uk": "Доля", "en": "Fate"},
    "confidence": {"ru": "Достоверность", "uk": "Достовірність", "en": "Confidence"},
    "last_news": {"ru": "Последние сведения", "uk": "Останні відомості", "en": "Last news"},
    "sources_cited": {"ru": "Источники", "uk": "Джерела", "en": "Sources"},
    "jurisdiction": {"ru": "Юрисдикция", "uk": "Юрисдикція", "en": "Jurisdiction"},
    "legal_status": {"ru": "Правовой статус", "uk": "Правовий статус", "en": "Legal status"},
    "since": {"ru": "с", "uk": "з", "en": "since"},
    "reliability": {"ru": "надёжность", "uk": "надійність", "en": "reliability"},
    "retraction": {"ru": "отозвано: {reason}", "uk": "відкликано: {reason}", "en": "retracted: {reason}"},
}


def term(code: str, lang: str) -> str:
    """A stored code in the reader's language; unknown codes are shown as they are."""
    entry = TERMS.get(code)
    return entry.get(lang, entry["en"]) if entry else code


def phrase(key: str, lang: str, **params: object) -> str:
    return PHRASES[key][lang].format(**params)


def labels_for(kind: str, lang: str) -> dict[str, Any]:
    """All labels a template needs, in one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    merged = {key: values[lang] for key, values in COMMON.items()}
    merged.update({key: values[lang] for key, values in KIND_LABELS[kind].items()})
    return merged


#: The fate reconciliation's explanation templates (``kinlink.registry.fate``) in Russian and Ukrainian;
#: English uses the templates themselves. An unknown template falls back to English.
FATE_MESSAGES: dict[str, dict[str, str]] = {
    "{dead_source} reports him dead, but {missing_source} reports him missing.": {
        "ru": "{dead_source}: погиб, но {missing_source}: пропал без вести.",
        "uk": "{dead_source}: загинув, але {missing_source}: зник безвісти.",
    },
    "{dead_source} reports him dead, but {other_source} reports him {other_fate}.": {
        "ru": "{dead_source}: погиб, но {other_source}: {other_fate}.",
        "uk": "{dead_source}: загинув, але {other_source}: {other_fate}.",
    },
    "{other_source} reports him {other_fate}, but {missing_source} reports him missing.": {
        "ru": "{other_source}: {other_fate}, но {missing_source}: пропал без вести.",
        "uk": "{other_source}: {other_fate}, але {missing_source}: зник безвісти.",
    },
    "Retracted, not counted: {claim}.": {
        "ru": "Отозвано, не учитывается: {claim}.",
        "uk": "Відкликано, не враховується: {claim}.",
    },
    "No source has said anything about his fate yet.": {
        "ru": "Ни один источник пока ничего не сообщил о его судьбе.",
        "uk": "Жодне джерело поки нічого не повідомило про його долю.",
    },
    "{claim}.": {"ru": "{claim}.", "uk": "{claim}."},
    "Identified by DNA ({source}): this outranks every other statement, which stay on record.": {
        "ru": "Идентифицирован по ДНК ({source}): это важнее всех остальных сведений, которые сохраняются.",
        "uk": "Ідентифікований за ДНК ({source}): це важливіше за всі інші відомості, які зберігаються.",
    },
    "Superseded by the DNA identification: {claim}.": {
        "ru": "Заменено идентификацией по ДНК: {claim}.",
        "uk": "Замінено ідентифікацією за ДНК: {claim}.",
    },
    "Sources conflict ({count}); a caseworker must weigh them. The leading reading is {fate}.": {
        "ru": "Источники противоречат друг другу ({count}); их должен оценить специалист. "
        "Преобладающая версия: {fate}.",
        "uk": "Джерела суперечать одне одному ({count}); їх має оцінити фахівець. Переважна версія: {fate}.",
    },
    "Only one source, or no official one, reports his death: a second source is needed.": {
        "ru": "О гибели сообщает только один источник или ни одного официального: нужен второй источник.",
        "uk": "Про загибель повідомляє лише одне джерело або жодного офіційного: потрібне друге джерело.",
    },
    "Burial-site lead from {source}: {circumstances} {place}": {
        "ru": "Сведения о месте захоронения ({source}): {circumstances} {place}",
        "uk": "Відомості про місце поховання ({source}): {circumstances} {place}",
    },
}
STATED = {"ru": "сообщено", "uk": "повідомлено", "en": "stated"}

#: The DNA identification in the court dossier (``facts.dna_result_lines``).
DNA_LINE = {
    "ru": "Образец останков {remains} ({lab}) сравнён с образцами родственников {samples} по {markers} "
    "маркерам: общее LR {lr}, априорная вероятность {prior}, апостериорная {posterior}; вывод: {verbal}; "
    "{status}.",
    "uk": "Зразок решток {remains} ({lab}) порівняно зі зразками родичів {samples} за {markers} "
    "маркерами: загальне LR {lr}, апріорна ймовірність {prior}, апостеріорна {posterior}; висновок: "
    "{verbal}; {status}.",
    "en": "Remains sample {remains} ({lab}) compared with the relatives' samples {samples} at {markers} "
    "markers: total LR {lr}, prior {prior}, posterior {posterior}; conclusion: {verbal}; {status}.",
}
