"""Synthetic mixed Arabic/English news text for the matcher benchmark (written for this project).

Items are built from our own sentence templates with slots for the field's names and for everyday
words, so the text has the density of real news: most sentences match nothing, some match several
patterns, and a few contain the traps (potato chips, سميك "thick", H2O).
"""

from __future__ import annotations

import random

EN_SUBJECTS = [
    "Nvidia",
    "TSMC",
    "SMIC",
    "Huawei",
    "ASML",
    "SK hynix",
    "Micron",
    "Samsung",
    "Cambricon",
    "the Commerce Department",
    "Beijing",
    "Washington",
    "the company",
    "analysts",
    "the ministry",
]
EN_OBJECTS = [
    "H20 chips",
    "HBM supplies",
    "export licences",
    "lithography tools",
    "gallium exports",
    "the Entity List",
    "AI accelerators",
    "quarterly revenue",
    "a new factory",
    "the harvest",
    "potato chips",
    "the football season",
    "local elections",
    "the housing market",
]
EN_VERBS = [
    "said it would review",
    "plans to expand",
    "warned about",
    "is reconsidering",
    "reported strong",
    "announced new limits on",
    "declined to comment on",
    "expects higher demand for",
]
EN_FILLER = [
    "The statement came late on Tuesday after markets closed.",
    "Officials did not give a timeline for the decision.",
    "Shares were little changed in early trading.",
    "The weather is expected to improve over the weekend.",
    "Local residents welcomed the new park and the longer library hours.",
    "A spokesperson said the talks had been constructive.",
    "The report cited people familiar with the matter.",
]

AR_SUBJECTS = [
    "إنفيديا",
    "تي إس إم سي",
    "سميك",
    "هواوي",
    "وزارة التجارة الأمريكية",
    "بكين",
    "واشنطن",
    "الشركة",
    "المحللون",
    "الوزارة",
    "سامسونغ",
    "مايكرون",
    "كامبريكون",
]
AR_OBJECTS = [
    "رقائق الذكاء الاصطناعي",
    "ضوابط التصدير",
    "الذاكرة عالية النطاق",
    "قائمة الكيانات",
    "المعادن النادرة",
    "رقائق البطاطس",
    "موسم الحصاد",
    "أسعار العقارات",
    "الانتخابات المحلية",
    "معدات صناعة الرقائق",
    "رقاقة إتش 20",
]
AR_VERBS = [
    "قالت إنها ستراجع",
    "تخطط لتوسيع",
    "حذرت من",
    "تعيد النظر في",
    "أعلنت قيودا جديدة على",
    "رفضت التعليق على",
    "تتوقع زيادة الطلب على",
]
AR_FILLER = [
    "وجاء البيان في وقت متأخر من يوم الثلاثاء بعد إغلاق الأسواق.",
    "ولم يحدد المسؤولون جدولا زمنيا للقرار.",
    "واستقرت الأسهم في التعاملات المبكرة.",
    "ومن المتوقع أن يتحسن الطقس خلال عطلة نهاية الأسبوع.",
    "ورحب السكان بالحديقة الجديدة وساعات المكتبة الأطول.",
    "وقال متحدث إن المحادثات كانت بناءة.",
    "ونقل التقرير عن مصادر مطلعة على الأمر.",
]


def _sentence(rng: random.Random, lang: str) -> str:
    if lang == "en":
        if rng.random() < 0.6:
            return rng.choice(EN_FILLER)
        return f"{rng.choice(EN_SUBJECTS)} {rng.choice(EN_VERBS)} {rng.choice(EN_OBJECTS)}."
    if rng.random() < 0.6:
        return rng.choice(AR_FILLER)
    return f"{rng.choice(AR_SUBJECTS)} {rng.choice(AR_VERBS)} {rng.choice(AR_OBJECTS)}."


def make_items(total_bytes: int, seed: int = 7) -> list[tuple[str, str]]:
    """(title, text) pairs, alternating languages, until their UTF-8 size reaches ``total_bytes``."""
    rng = random.Random(seed)
    items: list[tuple[str, str]] = []
    size = 0
    while size < total_bytes:
        lang = "ar" if len(items) % 2 else "en"
        title = _sentence(rng, lang).rstrip(".")
        body = " ".join(_sentence(rng, lang) for _ in range(rng.randint(8, 20)))
        items.append((title, body))
        size += len(title.encode()) + len(body.encode())
    return items
