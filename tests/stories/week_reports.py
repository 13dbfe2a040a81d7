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


# A second week: a probe opened and a finding in it, a pledge and its implementation, earnings beside a
# licence story, two chip designers' stock debuts two days apart.
_ROWS_2 = [
    ("samr-probe-opened", "en", "wire.example", 9, 0,
     "China opens antitrust investigation into Broadcom",
     "China's market regulator said on Monday it had launched an anti-monopoly investigation into Broadcom "
     "over its VMware acquisition."),
    ("samr-probe-opened", "ar", "akhbar.example", 9, 60,
     "الصين تفتح تحقيقا لمكافحة الاحتكار بحق برودكوم",
     "أعلنت هيئة تنظيم السوق في الصين يوم الاثنين فتح تحقيق لمكافحة الاحتكار بحق شركة برودكوم بشأن "
     "استحواذها على في إم وير."),
    ("ipo-alpha", "en", "markets.example", 9, 90,
     "Chip designer Biren soars 300% in Hong Kong debut",
     "Shares of GPU designer Biren Technology jumped 300% on their first day of trading in Hong Kong on Monday."),
    ("ipo-alpha", "ar", "iqtisad.example", 9, 150,
     "أسهم بيرين الصينية لرقائق الذكاء الاصطناعي تقفز 300% في أول يوم تداول لها في هونغ كونغ",
     "قفزت أسهم شركة بيرين الصينية لتصميم رقائق الذكاء الاصطناعي ومعالجات الرسومات 300% في أول يوم تداول لها في "
     "بورصة هونغ كونغ يوم الاثنين."),
    ("mofcom-pledge", "en", "wire.example", 10, 30,
     "China says it will exempt some gallium exports from its ban",
     "China's commerce ministry said on Tuesday it would consider exemptions from its gallium export ban for "
     "civilian buyers."),
    ("mofcom-pledge", "ar", "akhbar.example", 10, 80,
     "الصين تعتزم إعفاء بعض صادرات الغاليوم من الحظر",
     "قالت وزارة التجارة الصينية يوم الثلاثاء إنها ستدرس إعفاء بعض صادرات الغاليوم من الحظر للمشترين المدنيين."),
    ("nvidia-earnings", "en", "markets.example", 11, 0,
     "Nvidia quarterly revenue beats estimates on data-centre demand",
     "Nvidia reported quarterly revenue of $39 billion on Wednesday, above analysts' estimates."),
    ("ipo-beta", "en", "markets.example", 11, 40,
     "GPU maker Enflame jumps 250% on Shanghai STAR Market debut",
     "Shares of Enflame, a Chinese AI chip designer, rose 250% on their first day of trading in Shanghai on "
     "Wednesday."),
    ("samr-probe-finding", "en", "wire.example", 11, 90,
     "China says preliminary probe finds Broadcom violated antitrust law",
     "China's market regulator said on Wednesday a preliminary investigation found Broadcom had violated the "
     "anti-monopoly law."),
    ("nvidia-earnings", "ar", "iqtisad.example", 11, 120,
     "إيرادات إنفيديا الفصلية تتجاوز توقعات المحللين",
     "أعلنت إنفيديا يوم الأربعاء إيرادات فصلية بلغت 39 مليار دولار متجاوزة توقعات المحللين."),
    ("ipo-beta", "ar", "akhbar.example", 11, 160,
     "أسهم إنفليم ترتفع 250% في أول يوم تداول في شنغهاي",
     "ارتفعت أسهم شركة إنفليم الصينية لتصميم رقائق الذكاء الاصطناعي 250% في أول يوم تداول لها في بورصة "
     "شنغهاي يوم الأربعاء."),
    ("samr-probe-finding", "ar", "akhbar.example", 11, 200,
     "الصين: تحقيق أولي يكشف انتهاك برودكوم لقانون مكافحة الاحتكار",
     "قالت هيئة تنظيم السوق في الصين يوم الأربعاء إن تحقيقا أوليا توصل إلى أن برودكوم انتهكت قانون مكافحة "
     "الاحتكار."),
    ("mofcom-implemented", "en", "wire.example", 13, 0,
     "China begins granting gallium export exemptions for civilian use",
     "China's commerce ministry said on Friday it had started granting exemptions from the gallium export ban "
     "for civilian buyers."),
    ("mofcom-implemented", "ar", "akhbar.example", 13, 45,
     "الصين تبدأ منح إعفاءات لصادرات الغاليوم للاستخدام المدني",
     "قالت وزارة التجارة الصينية يوم الجمعة إنها بدأت منح إعفاءات من حظر تصدير الغاليوم للمشترين المدنيين."),
]  # fmt: skip


def _reports(rows: list[tuple[str, str, str, int, int, str, str]], prefix: str) -> list[Report]:
    out = []
    for n, (event, lang, source, day, minutes, title, text) in enumerate(rows):
        published = datetime(2026, 3, day, 8, tzinfo=UTC) + timedelta(minutes=minutes)
        url = f"https://{source}/{prefix}{n}"
        out.append(Report(f"{prefix}-{n:02d}", event, lang, source, title, text, url, published))
    return sorted(out, key=lambda r: r.published)


def week() -> list[Report]:
    """The first week's reports in publication order."""
    return _reports(_ROWS, "w")


def second_week() -> list[Report]:
    """The second week's reports in publication order."""
    return _reports(_ROWS_2, "v")
