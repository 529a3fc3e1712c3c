"""A small detector of postings that ask for money: fees, deposits, payment up front, transfers by
Western Union or gift cards, in English, French, Spanish and Arabic. The board shows a warning on those.

Its limits, said plainly: it matches words and short phrases (after lower-casing, without accents), so
it misses a demand written around them ("send 200 before we meet"), in other languages or in images,
and it flags honest postings that mention a deposit ("no deposit asked"; a salary in euros does not
count: only words about paying *to* someone do). It is a nudge for the reader, never a verdict: no
posting is refused or hidden because of it; moderators decide."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Each pattern is a word or phrase that, in a posting, asks the reader to pay.
_PATTERNS: Final = (
    # English
    r"\b(?:registration|application|processing|placement|agency|visa|training|admin(?:istrative)?) fees?\b",
    r"\b(?:security )?deposit\b", r"\bpay(?:ment)? (?:up ?front|in advance|first|before)\b", r"\bupfront (?:fee|payment)\b",
    r"\bwestern union\b", r"\bmoneygram\b", r"\bgift ?cards?\b", r"\bwire (?:the )?(?:money|transfer)\b",
    r"\bsend (?:the )?money\b", r"\bfee (?:of|is)\b",
    # French
    r"\bfrais (?:de dossier|d'inscription|d'agence|de placement|de visa|de formation)\b", r"\bcaution\b",
    r"\bpaiement (?:a l'avance|d'avance|anticipe)\b", r"\bpayer (?:a l'avance|d'avance|avant)\b",
    r"\bacompte\b", r"\bversement\b", r"\bmandat cash\b", r"\bcarte(?:s)? cadeau\b",
    # Spanish
    r"\b(?:cuota|tasa|tarifa) de (?:inscripcion|solicitud|tramite)\b", r"\bgastos de (?:gestion|tramite)\b",
    r"\bdeposito\b", r"\bfianza\b", r"\bpago (?:por adelantado|anticipado|previo)\b", r"\bpagar (?:por )?adelantado\b",
    r"\btarjetas? de regalo\b",
    # Arabic (letters without diacritics; \b does not apply to Arabic script, so plain substrings)
    r"رسوم", r"تأمين مسبق", r"عربون", r"دفع مسبق", r"الدفع مقدما", r"ادفع مقدما", r"حوالة", r"ويسترن يونيون",
    r"بطاقات? هدايا",
)
_FOUND: Final = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_ARABIC_MARKS: Final = re.compile("[\u064b-\u0652\u0640]")  # harakat and tatweel


def folded(text: str) -> str:
    """Lower case, Latin accents and Arabic diacritics removed, spaces collapsed."""
    text = _ARABIC_MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    latin = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", latin).casefold().replace("’", "'").split())


def money_phrases(*texts: str) -> list[str]:
    """The phrases that ask for money found in the texts (folded), each once, in order."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _FOUND.finditer(folded(text)):
            found.setdefault(match.group(0), None)
    return list(found)


def asks_for_money(*texts: str) -> bool:
    return bool(money_phrases(*texts))
