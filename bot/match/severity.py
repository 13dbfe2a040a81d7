"""Stage 4 of ``classify``: the severity of a relevant item, read from its title, in this order.

1. ``normal``: commentary and analysis — an opinion/explainer cue, a title that ends as a question,
   a remark attributed to a person or company (``Lutnick: ...``), an industry person who says
   something, or a bill in the legislature (a bill passed by one chamber is ``high``).
2. ``high``: market moves (shares, prices) and enforcement of existing rules (charges, smuggling
   cases, penalties, stockpiling) — the control words in such titles are context, not the news.
3. ``critical``: a primary regulatory action — a control term, a list action or a primary-source
   citation (Federal Register) in the title, or an authority (agency, country, official) as the
   subject of an action verb — unless the action is only threatened or proposed (``hypothetical``),
   or a company is the subject and speaks about it (``ASML warns licence rules will hit sales``).
4. ``high`` otherwise: concrete actions and deals involving watched entities.
"""

from __future__ import annotations

from bot.domain import Severity
from bot.match.evidence import CONTROL_ROLES, Evidence, FieldHit
from bot.match.model import Entry

_SUBJECT_KINDS = frozenset(
    {"agency", "country", "person", "company", "equipment", "chip", "memory", "regulation", "material"}
)
_ACTION_ROLES = frozenset({"reg_action", "control", "control_weak", "list_add", "buy_stop"})
_MAX_WORDS_TO_VERB = 4


def grade(ev: Evidence, list_action: bool, reasons: list[str]) -> Severity:
    """Stage 4: the severity, with the reason appended to ``reasons``."""
    title = ev.title
    th = ev.title_hits()
    q = max(title.rfind("?"), title.rfind("؟"))
    if q >= 0 and any(_is_action(fh.entry) and fh.span[0] > q for fh in th):
        # "Will Beijing lift the curbs? China suspends the ban": the statement after the question is the news.
        th = [fh for fh in th if fh.span[0] > q]
        q = -1
    title_entries = list({fh.entry.id: fh.entry for fh in th if fh.entry is not None}.values())
    roles = {e.role for e in title_entries}
    subject = _subject(title, th)
    why = _commentary(title, th, title_entries, roles, subject, q)
    if why == "high":
        reasons.append("severity: high (a bill moves in the legislature)")
        return Severity.HIGH
    if why:
        reasons.append(f"severity: normal ({why})")
        return Severity.NORMAL
    if "market" in roles or "enforcement" in roles:
        reasons.append("severity: high (market move or enforcement of existing rules)")
        return Severity.HIGH
    if _primary(ev, title, th, title_entries, roles, subject, list_action):
        reasons.append("severity: critical (a regulatory action is the news)")
        return Severity.CRITICAL
    reasons.append("severity: high")
    return Severity.HIGH


def _commentary(
    title: str, th: list[FieldHit], title_entries: list[Entry], roles: set[str], subject: Entry | None, q: int
) -> str:
    """Why the title is commentary ('' when it is not; 'high' for a bill that moves)."""
    if "commentary" in roles:
        return "commentary cue"
    if q >= 0:
        return "a question"
    if _attributed_remark(title, th):
        return "a remark attributed to a person or company"
    if subject is not None and subject.kind == "person" and not subject.authority and "speech" in roles:
        return "an industry figure's words"
    if "legislative" in roles or any(e.legislative for e in title_entries):
        return "high" if ("reg_action" in roles or "deal" in roles) else "a bill, not a rule"
    return ""


def _primary(
    ev: Evidence,
    title: str,
    th: list[FieldHit],
    title_entries: list[Entry],
    roles: set[str],
    subject: Entry | None,
    list_action: bool,
) -> bool:
    """A primary regulatory action is the news (see the module docstring, point 3)."""
    trade_talk = any(e.role == "trade" or e.trade_measure for e in title_entries)
    control = "buy_stop" in roles or any(
        (e.role in CONTROL_ROLES and not e.trade_measure) or (e.control and e.kind != "agency")  # BIS acts
        for e in title_entries
    )
    acts = _authority_acts(title, th)
    company_subject = subject is not None and subject.kind in ("company", "equipment")
    company_speaks = company_subject and "speech" in roles
    hypothetical = "hypothetical" in roles and not (subject is not None and subject.authority and "speech" in roles)
    chip_object = any(e.kind in ("chip", "memory") or e.role == "strong" for e in title_entries)
    primary = (
        any(e.primary for e in ev.entries.values())
        or list_action
        or (acts and (control or chip_object))
        or (control and "reg_action" in roles and not company_subject and not trade_talk)
    )
    return primary and not hypothetical and not company_speaks


def _is_action(e: Entry | None) -> bool:
    return e is not None and e.role in _ACTION_ROLES


def _authority_acts(title: str, th: list[FieldHit]) -> bool:
    """An authority (agency, country, official) followed within a few words by an action or control
    word: ``US curbs H20 exports``, ``بكين تحظر تصدير``, ``China tells firms to stop buying``."""
    for i, fh in enumerate(th):
        e = fh.entry
        if e is None or not e.authority:
            continue
        end = fh.span[1]
        if title[end : end + 2] in ("'s", "’s"):
            continue  # "China's rare earth licences stall": a possessive does not act
        for nxt in th[i + 1 :]:
            if len(title[end : nxt.span[0]].split()) > _MAX_WORDS_TO_VERB:
                break
            if _is_action(nxt.entry) and not (nxt.entry is not None and nxt.entry.trade_measure):
                return True
    return False


def _subject(title: str, th: list[FieldHit]) -> Entry | None:
    """The title's first named party (``China's CXMT ...``: the possessive is not the subject)."""
    for fh in th:
        e = fh.entry
        if e is None or e.kind not in _SUBJECT_KINDS:
            continue
        end = fh.span[1]
        if title[end : end + 2] in ("'s", "’s"):
            continue
        return e
    return None


def _attributed_remark(title: str, th: list[FieldHit]) -> bool:
    """'Lutnick: China will get ...' — a person's or company's words, i.e. commentary.

    The head before the colon must be the name itself (``ضربة جديدة لإنفيديا: ...`` is a headline
    device, not a quote)."""
    head, sep, _ = title.partition(":")
    if not sep or len(head.split()) > 4:
        return False
    end = len(head)
    lead = len(head) - len(head.lstrip(" «\"'“‘"))
    return any(
        fh.entry is not None and fh.entry.kind in ("person", "company") and fh.span[1] <= end and fh.span[0] <= lead + 1
        for fh in th
    )
