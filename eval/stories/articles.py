"""Hand-written news articles behind the story-clustering pairs (``pairs.jsonl``).

Written for this project (never copied): each event is one real-world-style development in the
chip export-control field, told by up to four fictional outlets (two English, two Arabic). Some
events are deliberately *siblings* (same entities, a different development) or *follow-ups* of
another event; ``build.py`` turns them into labeled pairs.

Shape: ``EVENTS[event_id] = {"date": ISO UTC time of the first report, "sibling_of": [...],
"follow_up_of": str | None, "en1"/"en2"/"ar1"/"ar2": (source, title, text)}``. Paragraphs in
``text`` are separated by blank lines (syndicated edits cut whole paragraphs).
"""

from __future__ import annotations

Article = tuple[str, str, str]  # (source, title, text)

EVENTS: dict[str, dict[str, object]] = {
    "h20-licence-required": {
        "date": "2025-04-15T21:10:00+00:00",
        "en1": (
            "globalwire",
            "Nvidia to take $5.5 billion charge as US requires licence for H20 sales to China",
            "Nvidia said on Tuesday it would book a charge of about $5.5 billion after the US government "
            "told it that exports of its H20 artificial-intelligence chip to China now require a licence.\n\n"
            "The company said in a filing that the Commerce Department informed it on April 9 that the "
            "requirement would stay in place indefinitely, citing the risk that the chips could be used "
            "in Chinese supercomputers.\n\n"
            "The H20 was designed to comply with earlier rules and had become Nvidia's best-selling "
            "product in China. Shares fell about 6% in extended trading.",
        ),
        "en2": (
            "techledger",
            "US blocks Nvidia's China-only H20 chip without a licence; company flags $5.5bn hit",
            "Washington has effectively closed the last route for Nvidia's top AI accelerators into "
            "China: the H20, a cut-down part built for the Chinese market, now needs an export licence, "
            "the chipmaker disclosed late Tuesday.\n\n"
            "Nvidia expects first-quarter charges of up to $5.5 billion tied to H20 inventory, purchase "
            "commitments and reserves. Officials notified the company on April 9, according to the filing.\n\n"
            "Analysts said Chinese buyers such as Tencent, Alibaba and ByteDance had ordered large "
            "volumes of the chip this year.",
        ),
        "ar1": (
            "khaleej-tech",
            "إنفيديا تتوقع أعباء بـ5.5 مليار دولار بعد فرض ترخيص أمريكي على تصدير رقائق H20 للصين",
            "أعلنت شركة إنفيديا الأمريكية أنها ستسجل أعباء بقيمة 5.5 مليار دولار تقريبا، بعد أن أبلغتها "
            "الحكومة الأمريكية بأن تصدير رقاقة الذكاء الاصطناعي H20 إلى الصين بات يتطلب الحصول على ترخيص.\n\n"
            "وأوضحت الشركة في إفصاح رسمي أن وزارة التجارة أخطرتها في 9 أبريل بأن هذا الشرط سيبقى ساريا "
            "لأجل غير مسمى، بسبب مخاوف من استخدام الرقائق في حواسيب صينية فائقة.\n\n"
            "وكانت رقاقة H20 قد صممت خصيصا للسوق الصينية للالتزام بالقيود السابقة، وتراجعت أسهم الشركة "
            "بنحو 6% في التعاملات الممتدة.",
        ),
        "ar2": (
            "marsad",
            "واشنطن تشترط ترخيصا لبيع رقاقة H20 في الصين.. وانفيديا تخسر 5.5 مليار دولار",
            "أغلقت الإدارة الأمريكية آخر منفذ أمام رقائق انفيديا المتطورة إلى السوق الصينية، إذ أصبحت "
            "رقاقة H20 المخففة تحتاج إلى ترخيص تصدير، بحسب ما كشفته الشركة مساء الثلاثاء.\n\n"
            "وقالت الشركة إنها تتوقع تكاليف تصل إلى 5.5 مليار دولار في الربع الأول مرتبطة بالمخزون "
            "والتزامات الشراء، مشيرة إلى أن السلطات أخطرتها بالقرار في التاسع من أبريل.\n\n"
            "ويقول محللون إن شركات صينية كبرى مثل تينسنت وعلي بابا وبايت دانس طلبت كميات كبيرة من الرقاقة "
            "هذا العام.",
        ),
    },
    "h20-licences-resume": {
        "date": "2025-07-15T03:30:00+00:00",
        "sibling_of": ["h20-licence-required"],
        "en1": (
            "globalwire",
            "Nvidia to resume H20 sales to China after US signals licences will be granted",
            "Nvidia said on Tuesday it is filing applications to sell its H20 AI chip to China again and "
            "that the US government has assured it the licences will be granted.\n\n"
            "Chief executive Jensen Huang, speaking in Beijing, said he hoped deliveries would start "
            "soon. The reversal comes three months after Washington made the chip subject to a licence "
            "requirement.\n\n"
            "The company also announced a new RTX Pro graphics card aimed at Chinese customers.",
        ),
        "en2": (
            "techledger",
            "Huang says Washington will approve H20 exports, reopening China market for Nvidia",
            "Nvidia expects to restart shipments of the H20 to Chinese buyers after US officials "
            "indicated that export licences would be approved, the company said during Jensen Huang's "
            "visit to Beijing.\n\n"
            "The decision follows talks between the two governments that also covered rare earth "
            "magnets. Chinese cloud providers have been waiting for the chips since April.",
        ),
        "ar1": (
            "khaleej-tech",
            "إنفيديا تستأنف بيع رقائق H20 للصين بعد تطمينات أمريكية بمنح التراخيص",
            "قالت شركة إنفيديا يوم الثلاثاء إنها تقدمت بطلبات لاستئناف بيع رقاقة الذكاء الاصطناعي H20 إلى "
            "الصين، وإن الحكومة الأمريكية طمأنتها بأن التراخيص ستمنح.\n\n"
            "وأعرب الرئيس التنفيذي جنسن هوانغ، خلال زيارته لبكين، عن أمله في أن تبدأ الشحنات قريبا، وذلك "
            "بعد ثلاثة أشهر من إخضاع الرقاقة لشرط الترخيص.\n\n"
            "كما أعلنت الشركة عن بطاقة رسومية جديدة من فئة RTX Pro موجهة للعملاء في الصين.",
        ),
        "ar2": (
            "marsad",
            "هوانغ من بكين: واشنطن ستوافق على تصدير رقاقة H20",
            "تتوقع انفيديا استئناف شحن رقائق H20 إلى المشترين الصينيين بعد أن ألمح مسؤولون أمريكيون إلى "
            "الموافقة على تراخيص التصدير، وفق ما أعلنته الشركة خلال زيارة رئيسها التنفيذي جنسن هوانج إلى بكين.\n\n"
            "ويأتي القرار عقب محادثات بين البلدين تناولت أيضا المغناطيسات المصنوعة من المعادن النادرة، "
            "فيما تنتظر شركات الحوسبة السحابية الصينية الرقائق منذ أبريل.",
        ),
    },
    "revenue-share-15": {
        "date": "2025-08-11T01:00:00+00:00",
        "en1": (
            "globalwire",
            "Nvidia, AMD agree to give US government 15% of China chip sales revenue",
            "Nvidia and AMD have agreed to pay the US government 15% of the revenue from sales of certain "
            "AI chips in China, in an unusual arrangement that cleared the way for export licences, a "
            "person familiar with the matter said.\n\n"
            "The deal covers Nvidia's H20 and AMD's MI308. The Commerce Department began issuing "
            "licences for the H20 last Friday.\n\n"
            "Export-control experts said they knew of no precedent for a company sharing revenue in "
            "exchange for a licence.",
        ),
        "en2": (
            "techledger",
            "Chipmakers to hand Washington a 15% cut of China AI chip revenue in licence deal",
            "In a first for US export policy, Nvidia and AMD will remit 15% of what they earn from "
            "selling the H20 and MI308 processors in China to the federal government, according to "
            "people briefed on the arrangement.\n\n"
            "Licences for the H20 started to be issued on Friday. Critics in Congress warned the deal "
            "turned national-security controls into a revenue source.",
        ),
        "ar1": (
            "khaleej-tech",
            "إنفيديا وAMD توافقان على منح الحكومة الأمريكية 15% من إيرادات رقائقهما في الصين",
            "وافقت شركتا إنفيديا وAMD على دفع 15% من إيرادات بيع بعض رقائق الذكاء الاصطناعي في الصين إلى "
            "الحكومة الأمريكية، في ترتيب غير معتاد مهد الطريق لمنح تراخيص التصدير، بحسب مصدر مطلع.\n\n"
            "ويشمل الاتفاق رقاقة H20 من إنفيديا ورقاقة MI308 من AMD، وكانت وزارة التجارة قد بدأت إصدار "
            "تراخيص H20 يوم الجمعة الماضي.\n\n"
            "وقال خبراء في ضوابط التصدير إنهم لا يعرفون سابقة تتقاسم فيها شركة إيراداتها مقابل ترخيص.",
        ),
        "ar2": (
            "marsad",
            "صفقة غير مسبوقة: 15 بالمئة من مبيعات رقائق انفيديا وAMD في الصين لخزينة واشنطن",
            "في سابقة بسياسة التصدير الأمريكية، ستحول انفيديا وAMD نسبة 15 بالمئة مما تجنيانه من بيع "
            "معالجات H20 وMI308 في الصين إلى الحكومة الفيدرالية، وفقا لأشخاص اطلعوا على الترتيب.\n\n"
            "وبدأ إصدار تراخيص H20 يوم الجمعة، بينما حذر منتقدون في الكونغرس من تحويل ضوابط الأمن "
            "القومي إلى مصدر للإيرادات.",
        ),
    },
    "revenue-share-legal": {
        "date": "2025-08-14T15:00:00+00:00",
        "follow_up_of": "revenue-share-15",
        "en1": (
            "globalwire",
            "Lawmakers question legality of 15% export revenue deal with Nvidia and AMD",
            "A group of House Democrats on Thursday asked the Commerce Department to explain the legal "
            "basis for taking a share of chip sales, arguing the Constitution bars taxes on exports.\n\n"
            "The letter follows this week's disclosure that Nvidia and AMD will pay 15% of revenue from "
            "H20 and MI308 sales in China. Commerce did not respond to a request for comment.",
        ),
        "ar1": (
            "khaleej-tech",
            "نواب أمريكيون يشككون في قانونية صفقة الـ15% مع إنفيديا وAMD",
            "طالبت مجموعة من النواب الديمقراطيين يوم الخميس وزارة التجارة بتوضيح الأساس القانوني "
            "لاقتطاع حصة من مبيعات الرقائق، مؤكدين أن الدستور يحظر فرض ضرائب على الصادرات.\n\n"
            "وتأتي الرسالة بعد الكشف هذا الأسبوع عن أن الشركتين ستدفعان 15% من إيرادات مبيعات H20 "
            "وMI308 في الصين، ولم ترد الوزارة على طلب للتعليق.",
        ),
    },
    "h200-approval": {
        "date": "2025-12-08T22:00:00+00:00",
        "en1": (
            "globalwire",
            "Trump says US will allow Nvidia H200 sales to China, with 25% going to Washington",
            "President Donald Trump said on Monday the United States would let Nvidia ship its H200 AI "
            "processors to approved customers in China, with 25% of the proceeds paid to the US "
            "government.\n\n"
            "Trump wrote on social media that he had informed Chinese President Xi Jinping, who "
            '"responded positively". The Commerce Department is finalising the details, he said.\n\n'
            "The H200 is far more capable than the H20 that Nvidia previously sold in China. "
            "Blackwell chips are not part of the arrangement.",
        ),
        "en2": (
            "techledger",
            "White House clears H200 exports to China in policy shift; Blackwell still barred",
            "Nvidia will be permitted to sell H200 accelerators to vetted Chinese buyers, President "
            "Trump announced, in the biggest loosening of chip curbs in years. Washington will collect "
            "a 25% share of the sales.\n\n"
            "The same approach will apply to AMD and Intel, the president said. Shares of Nvidia rose "
            "about 2% after hours.",
        ),
        "ar1": (
            "khaleej-tech",
            "ترامب يسمح لإنفيديا ببيع رقائق H200 للصين مقابل 25% للحكومة الأمريكية",
            "قال الرئيس الأمريكي دونالد ترامب يوم الاثنين إن الولايات المتحدة ستسمح لشركة إنفيديا بشحن "
            "معالجات الذكاء الاصطناعي H200 إلى عملاء معتمدين في الصين، على أن تذهب 25% من العائدات إلى "
            "الحكومة الأمريكية.\n\n"
            "وكتب ترامب على منصته للتواصل الاجتماعي أنه أبلغ الرئيس الصيني شي جين بينغ بالقرار، وأن الأخير "
            "تجاوب بشكل إيجابي، مضيفا أن وزارة التجارة تضع اللمسات الأخيرة على التفاصيل.\n\n"
            "وتتفوق H200 بفارق كبير على رقاقة H20 التي كانت تباع سابقا في الصين، فيما لا تشمل الخطوة "
            "رقائق بلاكويل.",
        ),
        "ar2": (
            "marsad",
            "تحول في سياسة واشنطن: ترمب يفتح باب تصدير H200 إلى الصين",
            "سيُسمح لانفيديا ببيع مسرعات H200 لمشترين صينيين خضعوا للتدقيق، بحسب ما أعلنه الرئيس ترمب، "
            "في أكبر تخفيف لقيود الرقائق منذ سنوات، على أن تحصل واشنطن على حصة 25% من المبيعات.\n\n"
            "وأضاف الرئيس أن النهج ذاته سيطبق على AMD وإنتل، وارتفع سهم انفيديا بنحو 2% بعد إغلاق السوق.",
        ),
    },
    "china-h20-ban": {
        "date": "2025-12-11T09:00:00+00:00",
        "sibling_of": ["h200-approval"],
        "en1": (
            "globalwire",
            "China bars state-funded data centres from using Nvidia H20 chips",
            "Chinese authorities have ordered new data-centre projects that receive state funding to use "
            "only domestically made AI chips, ruling out Nvidia's H20, two people familiar with the "
            "guidance said on Thursday.\n\n"
            "Projects less than 30% complete must remove foreign chips already installed or cancel "
            "planned purchases. The move favours suppliers such as Huawei and Cambricon.",
        ),
        "ar1": (
            "khaleej-tech",
            "الصين تمنع مراكز البيانات الممولة حكوميا من استخدام رقائق H20 من إنفيديا",
            "أمرت السلطات الصينية مشاريع مراكز البيانات الجديدة التي تحصل على تمويل حكومي باستخدام رقائق "
            "ذكاء اصطناعي محلية الصنع فقط، ما يستبعد رقاقة H20 من إنفيديا، بحسب شخصين مطلعين يوم الخميس.\n\n"
            "ويتعين على المشاريع التي أنجز منها أقل من 30% إزالة الرقائق الأجنبية المثبتة أو إلغاء "
            "المشتريات المخططة، في خطوة تصب في صالح موردين مثل هواوي وكامبريكون.",
        ),
    },
    "h200-china-limits": {
        "date": "2025-12-12T07:00:00+00:00",
        "follow_up_of": "h200-approval",
        "en1": (
            "techledger",
            "Beijing weighs limits on H200 purchases despite US approval",
            "Chinese regulators are discussing ways to restrict access to Nvidia's H200, days after "
            "President Trump approved its export, according to people familiar with the talks.\n\n"
            "One option would require buyers to justify why domestic processors cannot meet their "
            "needs. The talks reflect Beijing's push to cut reliance on American chips.",
        ),
        "ar1": (
            "marsad",
            "بكين تدرس تقييد شراء رقائق H200 رغم الموافقة الأمريكية",
            "تبحث الجهات التنظيمية الصينية سبل تقييد الوصول إلى رقاقة H200 من انفيديا، بعد أيام من موافقة "
            "الرئيس ترمب على تصديرها، وفقا لمطلعين على المناقشات.\n\n"
            "ومن بين الخيارات إلزام المشترين بتبرير عدم قدرة المعالجات المحلية على تلبية احتياجاتهم، في "
            "إطار مساعي بكين لتقليص الاعتماد على الرقائق الأمريكية.",
        ),
    },
    "gallium-ban-us": {
        "date": "2024-12-03T08:00:00+00:00",
        "en1": (
            "globalwire",
            "China bans exports of gallium, germanium and antimony to the United States",
            "China's commerce ministry on Tuesday banned shipments of gallium, germanium and antimony to "
            "the United States, a day after Washington announced new curbs on China's chip sector.\n\n"
            "The ministry said exports of so-called dual-use items to US military users were prohibited "
            "and that reviews of graphite shipments would be tightened.\n\n"
            "China produces about 98% of the world's gallium, which is used in semiconductors and radar.",
        ),
        "en2": (
            "techledger",
            "Beijing hits back at US chip curbs with ban on critical mineral exports",
            "In a swift retaliation, Beijing prohibited exports of gallium, germanium and antimony to "
            "American buyers, tightening a licensing regime it first applied to the metals last year.\n\n"
            "The step came one day after the US added 140 Chinese companies to its trade blacklist. "
            "Prices of germanium in Europe have already more than doubled this year.",
        ),
        "ar1": (
            "khaleej-tech",
            "الصين تحظر تصدير الغاليوم والجرمانيوم والأنتيمون إلى الولايات المتحدة",
            "حظرت وزارة التجارة الصينية يوم الثلاثاء شحن الغاليوم والجرمانيوم والأنتيمون إلى الولايات "
            "المتحدة، بعد يوم من إعلان واشنطن قيودا جديدة على قطاع الرقائق الصيني.\n\n"
            "وقالت الوزارة إن تصدير المواد ذات الاستخدام المزدوج إلى مستخدمين عسكريين أمريكيين بات "
            "محظورا، وإن مراجعة شحنات الغرافيت ستشدد.\n\n"
            "وتنتج الصين نحو 98% من الغاليوم في العالم، وهو معدن يستخدم في أشباه الموصلات والرادارات.",
        ),
        "ar2": (
            "marsad",
            "بكين ترد على قيود الرقائق الأمريكية بحظر تصدير معادن حيوية",
            "في رد سريع، منعت بكين تصدير الجاليوم والجرمانيوم والأنتيمون إلى المشترين الأمريكيين، "
            "مشددة نظام التراخيص الذي فرضته على هذه المعادن العام الماضي.\n\n"
            "وجاءت الخطوة بعد يوم واحد من إضافة الولايات المتحدة 140 شركة صينية إلى قائمتها السوداء "
            "التجارية، فيما تضاعفت أسعار الجرمانيوم في أوروبا هذا العام.",
        ),
    },
    "rare-earths-april": {
        "date": "2025-04-04T10:00:00+00:00",
        "en1": (
            "globalwire",
            "China adds seven rare earths to export control list in tariff retaliation",
            "China on Friday placed export restrictions on seven rare earth elements, including "
            "samarium, gadolinium, terbium and dysprosium, as part of its response to new US tariffs.\n\n"
            "Exporters will need licences from the commerce ministry. The elements are used in magnets "
            "for electric vehicles, wind turbines and defence systems.\n\n"
            "Beijing also announced 34% tariffs on all US goods from April 10.",
        ),
        "en2": (
            "techledger",
            "Beijing curbs exports of samarium, dysprosium and five other rare earths",
            "Seven medium and heavy rare earths and related magnets now need an export licence in "
            "China, the commerce ministry said, in a move aimed squarely at US defence supply chains.\n\n"
            "The list covers samarium, gadolinium, terbium, dysprosium, lutetium, scandium and yttrium. "
            "It was announced alongside a 34% retaliatory tariff.",
        ),
        "ar1": (
            "khaleej-tech",
            "الصين تضيف سبعة عناصر أرضية نادرة إلى قائمة ضوابط التصدير ردا على الرسوم الأمريكية",
            "فرضت الصين يوم الجمعة قيودا على تصدير سبعة عناصر أرضية نادرة، من بينها الساماريوم "
            "والغادولينيوم والتيربيوم والديسبروسيوم، ضمن ردها على الرسوم الجمركية الأمريكية الجديدة.\n\n"
            "وسيحتاج المصدرون إلى تراخيص من وزارة التجارة، إذ تستخدم هذه العناصر في مغناطيسات السيارات "
            "الكهربائية وتوربينات الرياح والأنظمة الدفاعية.\n\n"
            "كما أعلنت بكين فرض رسوم بنسبة 34% على جميع السلع الأمريكية اعتبارا من 10 أبريل.",
        ),
        "ar2": (
            "marsad",
            "بكين تقيد تصدير الساماريوم والديسبروسيوم وخمسة معادن نادرة أخرى",
            "باتت سبعة عناصر أرضية نادرة متوسطة وثقيلة والمغناطيسات المرتبطة بها تحتاج إلى ترخيص تصدير "
            "في الصين، وفق وزارة التجارة، في خطوة تستهدف سلاسل الإمداد الدفاعية الأمريكية.\n\n"
            "وتشمل القائمة الساماريوم والجادولينيوم والتيربيوم والديسبروسيوم واللوتيشيوم والسكانديوم "
            "والإيتريوم، وأعلنت بالتزامن مع رسوم انتقامية بنسبة 34%.",
        ),
    },
    "rare-earth-magnets-stall": {
        "date": "2025-04-11T12:00:00+00:00",
        "follow_up_of": "rare-earths-april",
        "en1": (
            "techledger",
            "Rare earth magnet shipments stall as Chinese licences lag",
            "Exports of rare earth magnets from China have largely halted a week after Beijing's new "
            "licence requirement, industry executives said, as the commerce ministry has yet to approve "
            "applications.\n\n"
            "Automakers in Europe and Japan warned that stocks could run out within weeks, and some "
            "suppliers said customs officers were holding cargoes at ports.",
        ),
        "ar1": (
            "marsad",
            "توقف شحنات مغناطيسات المعادن النادرة مع تأخر التراخيص الصينية",
            "توقفت صادرات مغناطيسات المعادن النادرة من الصين إلى حد كبير بعد أسبوع من فرض بكين شرط "
            "الترخيص الجديد، بحسب مسؤولين في القطاع، إذ لم توافق وزارة التجارة بعد على الطلبات.\n\n"
            "وحذرت شركات سيارات في أوروبا واليابان من نفاد المخزون خلال أسابيع، فيما قال موردون إن "
            "الجمارك تحتجز الشحنات في الموانئ.",
        ),
    },
    "rare-earths-october": {
        "date": "2025-10-09T06:00:00+00:00",
        "sibling_of": ["rare-earths-april"],
        "en1": (
            "globalwire",
            "China expands rare earth export controls to technologies and foreign-made products",
            "China on Thursday broadened its rare earth export controls, adding five more elements and "
            "requiring licences for foreign-made products that contain even 0.1% of Chinese-origin rare "
            "earths.\n\n"
            "The commerce ministry also restricted exports of mining and refining technologies. Some "
            "rules take effect on December 1.",
        ),
        "ar1": (
            "khaleej-tech",
            "الصين توسع ضوابط تصدير المعادن النادرة لتشمل التقنيات والمنتجات المصنعة في الخارج",
            "وسعت الصين يوم الخميس ضوابط تصدير المعادن النادرة بإضافة خمسة عناصر جديدة، واشتراط تراخيص "
            "للمنتجات المصنعة في الخارج التي تحتوي على 0.1% فقط من معادن نادرة صينية المنشأ.\n\n"
            "كما قيدت وزارة التجارة تصدير تقنيات التعدين والتكرير، على أن يبدأ تطبيق بعض القواعد في "
            "1 ديسمبر.",
        ),
    },
    "tariff-100-threat": {
        "date": "2025-10-10T20:00:00+00:00",
        "follow_up_of": "rare-earths-october",
        "en1": (
            "globalwire",
            "Trump threatens 100% tariffs and software export controls on China from November 1",
            "President Trump said the United States would impose an additional 100% tariff on Chinese "
            "goods and export controls on critical software from November 1, responding to Beijing's "
            "new rare earth restrictions.\n\n"
            "He also questioned whether a planned meeting with Xi Jinping in South Korea would go ahead. "
            "US stocks fell sharply after the post.",
        ),
        "ar1": (
            "khaleej-tech",
            "ترامب يهدد برسوم 100% وضوابط على تصدير البرمجيات إلى الصين من 1 نوفمبر",
            "قال الرئيس ترامب إن الولايات المتحدة ستفرض رسوما إضافية بنسبة 100% على السلع الصينية وضوابط "
            "على تصدير البرمجيات الحيوية اعتبارا من 1 نوفمبر، ردا على القيود الصينية الجديدة على المعادن "
            "النادرة.\n\n"
            "وشكك ترامب في انعقاد لقائه المرتقب مع شي جين بينغ في كوريا الجنوبية، وتراجعت الأسهم "
            "الأمريكية بحدة بعد المنشور.",
        ),
    },
    "entity-list-140": {
        "date": "2024-12-02T16:00:00+00:00",
        "en1": (
            "globalwire",
            "US adds 140 Chinese entities to trade blacklist, curbs HBM exports",
            "The Biden administration on Monday added 140 companies, most of them Chinese chip "
            "toolmakers, to the Entity List and restricted exports of high-bandwidth memory to China.\n\n"
            "The package, the third in three years, also extends US controls to 24 types of "
            "chipmaking equipment and three kinds of software. Naura and Piotech were among the "
            "companies listed.",
        ),
        "en2": (
            "techledger",
            "Washington's new chip curbs target HBM and 140 firms including Naura",
            "Chinese equipment makers Naura and Piotech are among 140 entities the Commerce Department "
            "put on the Entity List, in rules that also cover high-bandwidth memory for the first time.\n\n"
            "Officials said the measures aim to slow China's development of advanced AI. Beijing said "
            "it firmly opposed the move.",
        ),
        "ar1": (
            "khaleej-tech",
            "واشنطن تضيف 140 كيانا صينيا إلى قائمة الكيانات وتقيد تصدير ذاكرة HBM",
            "أضافت إدارة بايدن يوم الاثنين 140 شركة، معظمها من مصنعي معدات الرقائق الصينيين، إلى قائمة "
            "الكيانات، وقيدت تصدير رقائق الذاكرة عالية النطاق الترددي HBM إلى الصين.\n\n"
            "وتمد الحزمة، وهي الثالثة خلال ثلاث سنوات، الضوابط الأمريكية إلى 24 نوعا من معدات تصنيع "
            "الرقائق وثلاثة أنواع من البرمجيات، ومن بين الشركات المدرجة ناورا وبيوتك.",
        ),
        "ar2": (
            "marsad",
            "قيود أمريكية جديدة على الرقائق تستهدف ذاكرة HBM و140 شركة بينها ناورا",
            "أدرجت وزارة التجارة الأمريكية شركتي ناورا وبيوتك لصناعة المعدات ضمن 140 كيانا أضيفت إلى "
            "قائمة الكيانات، في قواعد تشمل للمرة الأولى ذاكرة HBM.\n\n"
            "وقال مسؤولون إن الإجراءات تهدف إلى إبطاء تطوير الصين للذكاء الاصطناعي المتقدم، بينما أعلنت "
            "بكين معارضتها الشديدة للخطوة.",
        ),
    },
    "entity-list-80": {
        "date": "2025-03-25T17:00:00+00:00",
        "sibling_of": ["entity-list-140"],
        "en1": (
            "globalwire",
            "US adds 80 companies to Entity List, including Inspur subsidiaries",
            "The Commerce Department on Tuesday added 80 companies and organisations to its Entity "
            "List, among them more than 50 in China and several subsidiaries of server maker Inspur.\n\n"
            "Officials said the firms helped develop supercomputers and advanced AI for China's "
            "military. It was the first such action under the new administration.",
        ),
        "ar1": (
            "khaleej-tech",
            "أمريكا تدرج 80 شركة على قائمة الكيانات بينها شركات تابعة لإنسبور",
            "أضافت وزارة التجارة الأمريكية يوم الثلاثاء 80 شركة ومنظمة إلى قائمة الكيانات، بينها أكثر "
            "من 50 في الصين وعدة شركات تابعة لمجموعة إنسبور لصناعة الخوادم.\n\n"
            "وقال مسؤولون إن هذه الشركات ساعدت في تطوير حواسيب فائقة وذكاء اصطناعي متقدم للجيش الصيني، "
            "في أول إجراء من نوعه في عهد الإدارة الجديدة.",
        ),
    },
    "diffusion-rule": {
        "date": "2025-01-13T14:00:00+00:00",
        "en1": (
            "globalwire",
            "Biden administration unveils AI diffusion rule with three tiers of countries",
            "The outgoing Biden administration on Monday issued a rule capping exports of AI chips to "
            "most countries, dividing the world into three tiers.\n\n"
            "Eighteen close allies face no limits, while countries such as China and Russia remain "
            "barred. Most others are capped at about 50,000 GPUs over the coming years.\n\n"
            "Nvidia called the rule an unprecedented overreach.",
        ),
        "en2": (
            "techledger",
            "New US rule sorts world into three tiers for AI chip exports",
            "A sweeping export rule published by the Commerce Department limits how many advanced AI "
            "chips can flow to most nations, with only 18 allies exempt.\n\n"
            "Countries in the middle tier face a cap of roughly 50,000 GPUs. Industry groups urged "
            "the incoming administration to scrap the framework.",
        ),
        "ar1": (
            "khaleej-tech",
            "إدارة بايدن تكشف قاعدة نشر الذكاء الاصطناعي بثلاث فئات من الدول",
            "أصدرت إدارة بايدن المنتهية ولايتها يوم الاثنين قاعدة تحدد سقفا لصادرات رقائق الذكاء "
            "الاصطناعي إلى معظم الدول، مقسمة العالم إلى ثلاث فئات.\n\n"
            "ولا تواجه 18 دولة حليفة أي قيود، بينما يبقى الحظر على دول مثل الصين وروسيا، وتخضع معظم الدول "
            "الأخرى لسقف يقارب 50 ألف وحدة معالجة رسومية.\n\n"
            "ووصفت إنفيديا القاعدة بأنها تجاوز غير مسبوق.",
        ),
        "ar2": (
            "marsad",
            "قاعدة أمريكية جديدة تقسم العالم إلى ثلاث فئات لتصدير رقائق الذكاء الاصطناعي",
            "تحدد قاعدة تصدير شاملة نشرتها وزارة التجارة عدد رقائق الذكاء الاصطناعي المتقدمة المسموح "
            "بوصولها إلى معظم الدول، ولا تستثني سوى 18 حليفا.\n\n"
            "وتواجه دول الفئة الوسطى سقفا يبلغ نحو 50 ألف وحدة معالجة رسومية، فيما حثت مجموعات صناعية "
            "الإدارة المقبلة على إلغاء الإطار.",
        ),
    },
    "diffusion-rescinded": {
        "date": "2025-05-13T19:00:00+00:00",
        "sibling_of": ["diffusion-rule"],
        "en1": (
            "globalwire",
            "Commerce rescinds AI diffusion rule, warns against using Huawei Ascend chips",
            "The Commerce Department said on Tuesday it had rescinded the AI diffusion rule before it "
            "took effect and would replace it with a simpler approach.\n\n"
            "It also issued guidance that using Huawei Ascend chips anywhere in the world risks "
            "violating US export controls, naming the Ascend 910B, 910C and 910D.",
        ),
        "ar1": (
            "khaleej-tech",
            "التجارة الأمريكية تلغي قاعدة نشر الذكاء الاصطناعي وتحذر من رقائق هواوي أسيند",
            "أعلنت وزارة التجارة الأمريكية يوم الثلاثاء إلغاء قاعدة نشر الذكاء الاصطناعي قبل دخولها حيز "
            "التنفيذ، مؤكدة أنها ستستبدلها بنهج أبسط.\n\n"
            "كما أصدرت إرشادات تفيد بأن استخدام رقائق أسيند من هواوي في أي مكان بالعالم قد يشكل انتهاكا "
            "لضوابط التصدير الأمريكية، وسمت رقائق 910B و910C و910D.",
        ),
    },
    "affiliates-rule": {
        "date": "2025-09-29T18:00:00+00:00",
        "en1": (
            "globalwire",
            "US extends Entity List curbs to companies 50% owned by listed firms",
            "The Commerce Department on Monday issued a rule that automatically applies Entity List "
            "restrictions to any company at least 50% owned by one or more listed entities.\n\n"
            "The affiliates rule closes a loophole that let subsidiaries of blacklisted Chinese firms "
            "buy US technology. Thousands of companies could be affected.",
        ),
        "en2": (
            "techledger",
            "New 'affiliates rule' widens US blacklist to majority-owned subsidiaries",
            "Subsidiaries owned 50% or more by companies on the Entity List now fall under the same "
            "licence requirements, under a Commerce rule released on Monday.\n\n"
            "Exporters must now check ownership chains of their customers. China's commerce ministry "
            "said it would take necessary measures in response.",
        ),
        "ar1": (
            "khaleej-tech",
            "أمريكا توسع قيود قائمة الكيانات لتشمل الشركات المملوكة بنسبة 50%",
            "أصدرت وزارة التجارة الأمريكية يوم الاثنين قاعدة تطبق تلقائيا قيود قائمة الكيانات على أي "
            "شركة تملك فيها كيانات مدرجة حصة 50% على الأقل.\n\n"
            "وتسد قاعدة الشركات التابعة ثغرة سمحت لشركات تابعة لشركات صينية مدرجة بشراء التكنولوجيا "
            "الأمريكية، وقد تتأثر بها آلاف الشركات.",
        ),
        "ar2": (
            "marsad",
            "قاعدة الشركات التابعة توسع القائمة السوداء الأمريكية",
            "أصبحت الشركات التابعة المملوكة بنسبة 50% أو أكثر لشركات مدرجة على قائمة الكيانات خاضعة "
            "لمتطلبات الترخيص نفسها، بموجب قاعدة أصدرتها وزارة التجارة يوم الاثنين.\n\n"
            "ويتعين على المصدرين الآن التحقق من سلاسل ملكية عملائهم، فيما قالت وزارة التجارة الصينية إنها "
            "ستتخذ الإجراءات اللازمة ردا على ذلك.",
        ),
    },
    "affiliates-suspended": {
        "date": "2025-11-10T15:00:00+00:00",
        "sibling_of": ["affiliates-rule"],
        "en1": (
            "globalwire",
            "US suspends 50% affiliates rule for one year under trade truce with China",
            "The Commerce Department on Monday suspended for one year the rule extending Entity List "
            "restrictions to companies 50% owned by listed firms, implementing part of the trade truce "
            "agreed between Presidents Trump and Xi.\n\n"
            "China in turn paused its October rare earth export measures.",
        ),
        "ar1": (
            "khaleej-tech",
            "واشنطن تعلق قاعدة الشركات التابعة بنسبة 50% لمدة عام ضمن الهدنة التجارية مع الصين",
            "علقت وزارة التجارة الأمريكية يوم الاثنين لمدة عام القاعدة التي توسع قيود قائمة الكيانات "
            "لتشمل الشركات المملوكة بنسبة 50% لشركات مدرجة، تنفيذا لجزء من الهدنة التجارية بين الرئيسين "
            "ترامب وشي.\n\n"
            "وفي المقابل علقت الصين إجراءاتها الخاصة بتصدير المعادن النادرة التي أعلنتها في أكتوبر.",
        ),
    },
    "asml-duv": {
        "date": "2024-09-06T11:00:00+00:00",
        "en1": (
            "globalwire",
            "Netherlands expands export licence rules for ASML immersion DUV machines",
            "The Dutch government said on Friday that ASML will need a national licence to ship its "
            "1970i and 1980i immersion DUV lithography systems, taking over controls previously "
            "applied by the United States.\n\n"
            "ASML said the change would have no impact on its 2024 outlook.",
        ),
        "en2": (
            "techledger",
            "ASML's 1970i and 1980i lithography tools now need Dutch export licences",
            "Exports of two of ASML's older immersion lithography models will require a licence from "
            "The Hague from September 7, the Dutch trade ministry announced.\n\n"
            "The move aligns Dutch rules with US measures aimed at slowing China's chipmaking. The "
            "company reiterated its financial guidance.",
        ),
        "ar1": (
            "khaleej-tech",
            "هولندا توسع شروط ترخيص تصدير آلات الطباعة الحجرية DUV من ASML",
            "أعلنت الحكومة الهولندية يوم الجمعة أن شركة ASML ستحتاج إلى ترخيص وطني لشحن أنظمة الطباعة "
            "الحجرية بالغمر 1970i و1980i، لتتولى بذلك ضوابط كانت تطبقها الولايات المتحدة سابقا.\n\n"
            "وقالت ASML إن التغيير لن يؤثر على توقعاتها لعام 2024.",
        ),
        "ar2": (
            "marsad",
            "أدوات 1970i و1980i من ASML تحتاج الآن إلى تراخيص تصدير هولندية",
            "سيتطلب تصدير طرازين من آلات الطباعة الحجرية بالغمر الأقدم لدى ASML ترخيصا من لاهاي اعتبارا "
            "من 7 سبتمبر، بحسب وزارة التجارة الهولندية.\n\n"
            "وتتماشى الخطوة مع الإجراءات الأمريكية الرامية إلى إبطاء صناعة الرقائق في الصين، وأكدت الشركة "
            "توقعاتها المالية.",
        ),
    },
    "samr-nvidia": {
        "date": "2025-09-15T08:00:00+00:00",
        "en1": (
            "globalwire",
            "China says Nvidia violated anti-monopoly law in Mellanox deal",
            "China's market regulator said on Monday a preliminary investigation found that Nvidia "
            "violated anti-monopoly law in connection with its acquisition of Mellanox Technologies.\n\n"
            "The State Administration for Market Regulation said it would continue its investigation. "
            "The announcement came as US and Chinese officials met in Madrid for trade talks.",
        ),
        "en2": (
            "techledger",
            "Beijing regulator finds Nvidia breached competition rules over Mellanox",
            "A preliminary probe by the State Administration for Market Regulation concluded that "
            "Nvidia broke China's anti-monopoly law when it bought Mellanox, the regulator said.\n\n"
            "Nvidia said it complied with the law in all jurisdictions. The finding adds pressure "
            "during trade negotiations in Madrid.",
        ),
        "ar1": (
            "khaleej-tech",
            "الصين: إنفيديا انتهكت قانون مكافحة الاحتكار في صفقة ميلانوكس",
            "قالت هيئة تنظيم السوق في الصين يوم الاثنين إن تحقيقا أوليا خلص إلى أن إنفيديا انتهكت قانون "
            "مكافحة الاحتكار فيما يتعلق باستحواذها على شركة ميلانوكس تكنولوجيز.\n\n"
            "وأضافت إدارة الدولة لتنظيم السوق أنها ستواصل التحقيق، وجاء الإعلان بينما يجتمع مسؤولون "
            "أمريكيون وصينيون في مدريد لإجراء محادثات تجارية.",
        ),
        "ar2": (
            "marsad",
            "هيئة صينية: انفيديا خالفت قواعد المنافسة في استحواذها على ميلانوكس",
            "خلص تحقيق أولي أجرته إدارة الدولة لتنظيم السوق إلى أن انفيديا خالفت قانون مكافحة الاحتكار "
            "الصيني عندما اشترت ميلانوكس، بحسب الهيئة.\n\n"
            "وقالت انفيديا إنها تلتزم بالقانون في كل الولايات القضائية، ويزيد القرار الضغط خلال المفاوضات "
            "التجارية في مدريد.",
        ),
    },
    "cac-rtx6000d": {
        "date": "2025-09-17T06:00:00+00:00",
        "sibling_of": ["samr-nvidia"],
        "en1": (
            "techledger",
            "China tells tech firms to stop buying Nvidia's RTX Pro 6000D",
            "China's internet regulator has told companies including ByteDance and Alibaba to stop "
            "testing and ordering Nvidia's RTX Pro 6000D, a chip made for the Chinese market, people "
            "with knowledge of the matter said on Wednesday.\n\n"
            "The Cyberspace Administration of China said domestic processors now match the "
            "performance of the products that US export rules allow.",
        ),
        "ar1": (
            "marsad",
            "الصين تطلب من شركات التكنولوجيا التوقف عن شراء رقاقة RTX Pro 6000D من انفيديا",
            "طلبت هيئة تنظيم الإنترنت في الصين من شركات بينها بايت دانس وعلي بابا التوقف عن اختبار وطلب "
            "رقاقة RTX Pro 6000D من انفيديا، المصممة للسوق الصينية، بحسب مطلعين يوم الأربعاء.\n\n"
            "وترى إدارة الفضاء الإلكتروني الصينية أن المعالجات المحلية باتت تضاهي أداء المنتجات التي "
            "تسمح بها قواعد التصدير الأمريكية.",
        ),
    },
    "hbm-ask": {
        "date": "2025-08-10T05:00:00+00:00",
        "en1": (
            "globalwire",
            "China seeks easing of US curbs on HBM chips ahead of possible Trump-Xi summit",
            "China wants the United States to relax export controls on high-bandwidth memory as part "
            "of a trade deal before a possible summit between Donald Trump and Xi Jinping, according to "
            "a newspaper report citing people familiar with the matter.\n\n"
            "Chinese officials raised HBM in talks led by Treasury Secretary Scott Bessent, the report "
            "said. The two sides face an August 12 deadline to extend their tariff truce.",
        ),
        "en2": (
            "techledger",
            "Beijing presses Washington to loosen high-bandwidth memory export rules",
            "Easing restrictions on HBM, the memory stacked beside AI processors, has become one of "
            "Beijing's demands in trade talks, officials told experts in Washington, a report said.\n\n"
            "The request came as negotiators worked toward the August 12 deadline on tariffs. "
            "Commerce Secretary Howard Lutnick said the truce would be extended by 90 days.",
        ),
        "ar1": (
            "khaleej-tech",
            "الصين تطالب واشنطن بتخفيف قيود رقائق HBM قبل قمة محتملة بين ترامب وشي",
            "تريد الصين أن تخفف الولايات المتحدة ضوابط تصدير الذاكرة عالية النطاق الترددي ضمن اتفاق "
            "تجاري يسبق قمة محتملة بين دونالد ترامب وشي جين بينغ، بحسب تقرير صحفي نقل عن مطلعين.\n\n"
            "وأثار مسؤولون صينيون ملف HBM في محادثات قادها وزير الخزانة سكوت بيسنت، فيما يواجه الطرفان "
            "مهلة تنتهي في 12 أغسطس لتمديد الهدنة الجمركية.",
        ),
        "ar2": (
            "marsad",
            "بكين تضغط على واشنطن لتخفيف قواعد تصدير ذاكرة HBM",
            "أصبح تخفيف القيود على ذاكرة HBM، التي ترص بجوار معالجات الذكاء الاصطناعي، أحد مطالب بكين "
            "في المحادثات التجارية، بحسب ما أبلغه مسؤولون لخبراء في واشنطن وفق تقرير.\n\n"
            "وجاء الطلب بينما يعمل المفاوضون قبل مهلة 12 أغسطس بشأن الرسوم، وقال وزير التجارة هوارد "
            "لوتنيك إن الهدنة ستمدد 90 يوما.",
        ),
    },
    "controls-freeze": {
        "date": "2025-07-28T04:00:00+00:00",
        "sibling_of": ["hbm-ask"],
        "en1": (
            "globalwire",
            "US froze new export controls on China to protect trade talks, report says",
            "The Commerce Department has been told to avoid tough new moves against China, putting "
            "planned export controls on hold to avoid upsetting trade negotiations, a newspaper reported "
            "on Monday, citing eight current and former officials.\n\n"
            "The freeze is meant to clear the way for a meeting between Trump and Xi later this year "
            "and to avoid retaliation on rare earth magnets.",
        ),
        "ar1": (
            "khaleej-tech",
            "تقرير: واشنطن جمدت ضوابط تصدير جديدة على الصين لحماية المحادثات التجارية",
            "تلقت وزارة التجارة الأمريكية تعليمات بتجنب خطوات متشددة جديدة ضد الصين، وتعليق ضوابط تصدير "
            "كانت مقررة حتى لا تتعثر المفاوضات التجارية، بحسب تقرير صحفي يوم الاثنين نقل عن ثمانية مسؤولين "
            "حاليين وسابقين.\n\n"
            "ويهدف التجميد إلى تمهيد الطريق للقاء بين ترامب وشي في وقت لاحق من العام، وتجنب رد صيني "
            "يطال مغناطيسات المعادن النادرة.",
        ),
    },
    "malaysia-permits": {
        "date": "2025-07-14T09:00:00+00:00",
        "en1": (
            "globalwire",
            "Malaysia to require permits for exports of US-made AI chips",
            "Malaysia will require a permit for exports and transshipments of high-performance AI chips "
            "of US origin, its trade ministry said on Monday, effective immediately.\n\n"
            "The move follows US concerns that advanced Nvidia processors were being diverted to China "
            "through Southeast Asia. Violators face penalties under the Strategic Trade Act.",
        ),
        "ar1": (
            "khaleej-tech",
            "ماليزيا تفرض تصاريح على تصدير رقائق الذكاء الاصطناعي الأمريكية",
            "قالت وزارة التجارة الماليزية يوم الاثنين إن تصدير رقائق الذكاء الاصطناعي عالية الأداء "
            "أمريكية المنشأ وإعادة شحنها سيتطلبان تصريحا، اعتبارا من الآن.\n\n"
            "وتأتي الخطوة بعد مخاوف أمريكية من تهريب معالجات إنفيديا المتقدمة إلى الصين عبر جنوب شرق "
            "آسيا، ويواجه المخالفون عقوبات بموجب قانون التجارة الاستراتيجية.",
        ),
    },
    "huang-beijing-april": {
        "date": "2025-04-17T10:00:00+00:00",
        "follow_up_of": "h20-licence-required",
        "en1": (
            "techledger",
            "Nvidia's Huang visits Beijing days after H20 curbs",
            "Nvidia chief executive Jensen Huang met Chinese officials in Beijing on Thursday, two days "
            "after the company disclosed that US rules now block its H20 chip without a licence.\n\n"
            "Huang said China remained a very important market and that Nvidia would keep serving "
            "customers there, state media reported.",
        ),
        "ar1": (
            "marsad",
            "هوانغ يزور بكين بعد أيام من القيود على رقاقة H20",
            "التقى الرئيس التنفيذي لانفيديا جنسن هوانغ مسؤولين صينيين في بكين يوم الخميس، بعد يومين من "
            "كشف الشركة أن القواعد الأمريكية تمنع رقاقة H20 دون ترخيص.\n\n"
            "وقال هوانغ إن الصين تظل سوقا مهمة للغاية، وإن الشركة ستواصل خدمة عملائها هناك، وفق وسائل "
            "إعلام رسمية.",
        ),
    },
}

# Pages that share a boilerplate title but report unrelated things (live blogs, "news of the day").
BOILERPLATE_PAIRS: list[tuple[str, Article, Article]] = [
    (
        "en",
        (
            "globalwire",
            "Live updates",
            "Taiwan's TSMC reported a 40% rise in quarterly revenue on strong demand for AI "
            "processors, beating analyst estimates.",
        ),
        (
            "globalwire",
            "Live updates",
            "Dutch officials said they would review the export licence of a chip equipment maker "
            "after complaints from customers in South Korea.",
        ),
    ),
    (
        "ar",
        (
            "khaleej-tech",
            "عاجل",
            "أعلنت شركة سامسونغ للإلكترونيات عن استثمار جديد في مصنع للرقائق في ولاية تكساس.",
        ),
        (
            "khaleej-tech",
            "عاجل",
            "قالت وزارة التجارة الصينية إنها ستفتح تحقيقا في واردات رقائق تناظرية من الولايات المتحدة.",
        ),
    ),
    (
        "ar",
        (
            "marsad",
            "أخبار اليوم",
            "ارتفعت أسعار الأنتيمون في الأسواق الأوروبية إلى مستوى قياسي بسبب شح الإمدادات.",
        ),
        (
            "marsad",
            "أخبار اليوم",
            "أطلقت هواوي خادما جديدا يعتمد على معالجات أسيند المحلية لمراكز البيانات.",
        ),
    ),
]

SOURCES: dict[str, str] = {
    "globalwire": "https://www.globalwire.example/",
    "techledger": "https://techledger.example/",
    "khaleej-tech": "https://www.khaleejtech.example/",
    "marsad": "https://marsad-news.example/",
}
