"""A self-written week of reports (our own sentences, no copied text): five events of one week in Arabic
and English, two of them related-but-different pairs that share entities and days — a US licence and
Beijing's guidance against the same chip two days later; a Dutch rule and China's reaction to it.

Used by the order/batch invariance test (``test_invariance``) and as a regression of the "different act,
different actor" rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eval.real.corpus import Report

# (event, lang, source, day of March 2026, minutes after 08:00, title, text)
_ROWS = [
    ("us-h20-licence", "en", "wire.example", 2, 0,
     "US grants Nvidia licences to ship H20 chips to China",
     "The Commerce Department on Monday granted Nvidia licences to resume sales of its H20 accelerator to "
     "Chinese customers, the company said."),
    ("us-h20-licence", "ar", "akhbar.example", 2, 40,
     "واشنطن تمنح إنفيديا تراخيص لتصدير رقائق H20 إلى الصين",
     "منحت وزارة التجارة الأمريكية يوم الاثنين شركة إنفيديا تراخيص لاستئناف بيع رقائق H20 للعملاء في الصين."),
    ("us-h20-licence", "en", "markets.example", 2, 95,
     "Nvidia wins US approval to resume H20 sales in China",
     "Nvidia said on Monday that Washington had approved its applications to export the H20 chip to China, "
     "lifting the licence freeze imposed in April."),
    ("nl-asml-controls", "en", "wire.example", 3, 10,
     "Dutch government widens export controls on ASML lithography tools",
     "The Dutch government on Tuesday expanded export licence requirements for ASML's immersion lithography "
     "machines bound for China."),
    ("micron-hbm-plant", "en", "markets.example", 3, 30,
     "Micron to invest $7 billion in Hiroshima HBM plant",
     "Micron said on Tuesday it will invest $7 billion to build high-bandwidth memory capacity at its "
     "Hiroshima site in Japan."),
    ("nl-asml-controls", "ar", "akhbar.example", 3, 70,
     "هولندا توسع القيود على صادرات آلات الطباعة الضوئية من أيه إس إم إل",
     "وسعت الحكومة الهولندية يوم الثلاثاء متطلبات ترخيص التصدير لآلات الطباعة الضوئية من أيه إس إم إل "
     "المتجهة إلى الصين."),
    ("micron-hbm-plant", "ar", "iqtisad.example", 3, 120,
     "ميكرون تستثمر 7 مليارات دولار في مصنع للذاكرة عالية النطاق في هيروشيما",
     "أعلنت ميكرون يوم الثلاثاء أنها ستستثمر 7 مليارات دولار لبناء طاقة إنتاجية للذاكرة عالية النطاق في "
     "موقعها بهيروشيما في اليابان."),
    ("cn-h20-guidance", "en", "wire.example", 4, 0,
     "Beijing urges tech firms to avoid Nvidia's H20 chips",
     "Chinese regulators on Wednesday urged domestic technology companies to avoid buying Nvidia's H20 "
     "processors, citing security concerns."),
    ("cn-asml-reaction", "en", "markets.example", 4, 25,
     "China condemns Dutch curbs on ASML exports, vows countermeasures",
     "China's commerce ministry on Wednesday criticised the Netherlands' new export restrictions on ASML "
     "machines and said it would take necessary measures."),
    ("cn-h20-guidance", "ar", "akhbar.example", 4, 50,
     "بكين تحث الشركات الصينية على تجنب شراء رقائق H20 من إنفيديا",
     "حثت السلطات الصينية يوم الأربعاء شركات التكنولوجيا المحلية على تجنب شراء معالجات H20 من إنفيديا، "
     "مشيرة إلى مخاوف أمنية."),
    ("cn-asml-reaction", "ar", "iqtisad.example", 4, 80,
     "الصين تندد بالقيود الهولندية على صادرات أيه إس إم إل",
     "انتقدت وزارة التجارة الصينية يوم الأربعاء القيود الهولندية الجديدة على صادرات آلات أيه إس إم إل، "
     "وتوعدت باتخاذ الإجراءات اللازمة."),
    ("cn-h20-guidance", "en", "tech.example", 4, 150,
     "China tells companies to shun Nvidia H20 processors",
     "Beijing has told companies to avoid Nvidia's H20, regulators said on Wednesday, days after Washington "
     "cleared the chip for export."),
]  # fmt: skip


def week() -> list[Report]:
    """The reports in publication order."""
    out = []
    for n, (event, lang, source, day, minutes, title, text) in enumerate(_ROWS):
        published = datetime(2026, 3, day, 8, tzinfo=UTC) + timedelta(minutes=minutes)
        out.append(Report(f"w-{n:02d}", event, lang, source, title, text, f"https://{source}/{n}", published))
    return sorted(out, key=lambda r: r.published)
