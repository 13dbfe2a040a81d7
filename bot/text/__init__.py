"""Text helpers shared by every place that writes for a chat: one implementation of each.

| module | what it holds |
|---|---|
| ``length`` | ``utf16_len``: a length as Telegram and Discord count it |
| ``bidi`` | cleaning feed text of bidi and control characters, Arabic/Latin detection, isolating Latin phrases |
| ``urls`` | ``safe_url``: a feed's link we may put in a chat, or None |
| ``names`` | a topic's or entity's name in the chat's language |
| ``locale`` | the locale tree ``bot/locales/``: where each text file is, read once |
| ``mojibake`` | text read in the wrong charset: found, repaired when unambiguous, or flagged (``GARBLED_TEXT``) |
| ``messages`` | ``text``: a text of ``ar.yaml``/``en.yaml`` by key in the chat's language; ``words``, ``help_lines`` |

A pure layer: nothing here imports storage, the chat adapters or HTTP (only the lexicon, for names, and
the locale files).
The package imports nothing itself, so a caller pays only for the module it names.
"""
