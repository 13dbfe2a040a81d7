"""The keyword filter a generic RSS bot offers: a fixed bilingual keyword list per topic, substring match.

It is the yardstick beside the product's figures: what an analyst gets without Raqib.
"""

from __future__ import annotations

KEYWORDS: dict[str, tuple[str, ...]] = {
    "export-controls": ("export control", "export ban", "ضوابط التصدير", "قيود التصدير", "حظر تصدير"),
    "entity-list": ("entity list", "قائمة الكيانات"),
    "nvidia": ("nvidia", "إنفيديا", "انفيديا"),
    "hbm": ("hbm", "high-bandwidth memory", "الذاكرة عالية"),
    "ai-chips": ("ai chip", "gpu", "رقائق الذكاء الاصطناعي"),
    "chip-equipment": ("asml", "lithography", "chipmaking equipment", "الطباعة الحجرية"),
    "rare-earths": ("rare earth", "المعادن النادرة", "العناصر الأرضية النادرة"),
    "huawei-smic": ("huawei", "smic", "هواوي", "سميك"),
    "china-chips": ("chinese chip", "الرقائق الصينية"),
    "us-china-trade": ("trade war", "tariff", "الحرب التجارية", "الرسوم الجمركية"),
    "us-china-tech": ("semiconductor", "chip", "أشباه الموصلات", "رقائق", "الرقائق"),
}


def keyword_topics(title: str, text: str) -> tuple[str, ...]:
    hay = f"{title}\n{text}".lower()
    return tuple(topic for topic, words in KEYWORDS.items() if any(w in hay for w in words))
