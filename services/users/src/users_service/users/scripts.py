"""Which writing system a name's letters come from: the confusables rule of identities.

A name whose letters mix scripts (`paul` with a Cyrillic `a`) is how look-alikes of another
account are made, so it is refused, as UTS #39's "highly restrictive" level does: one script,
or Latin with the scripts of Chinese, Japanese and Korean. Python has no Script property;
the script of a letter or digit is read from the first word of its Unicode name (`LATIN
SMALL LETTER A`, `CYRILLIC SMALL LETTER A`, `DEVANAGARI DIGIT ZERO`), which names the
script for every letter once NFKC has folded the compatibility forms (fullwidth,
mathematical, ...). Names whose first word is not a script only make the rule stricter.
"""

import unicodedata

# Letters and digits that belong to no one script.
NEUTRAL = frozenset({"DIGIT", "MODIFIER"})
# Name words that mean the same script as another word.
ALIASES = {
    "ARABIC-INDIC": "ARABIC",
    "EXTENDED": "ARABIC",  # EXTENDED ARABIC-INDIC DIGIT ...
    "IDEOGRAPHIC": "CJK",
    "KATAKANA-HIRAGANA": "KATAKANA",
    "": "TANGUT",  # the Tangut ideographs are the only nameless letters
}
# Written together in Chinese, Japanese and Korean, and with Latin in all three.
EAST_ASIAN_WITH_LATIN = frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})


def scripts_of(text: str) -> set[str]:
    """The scripts of the letters and digits of NFKC-normalised `text`."""
    found = set()
    for char in text:
        if unicodedata.category(char) in ("Nd", "Lu", "Ll", "Lt", "Lm", "Lo"):
            word = unicodedata.name(char, "").split(" ", 1)[0]
            found.add(ALIASES.get(word, word))
    return found - NEUTRAL


def mixes_scripts(text: str) -> bool:
    """True when `text` (NFKC-normalised) mixes scripts that are not written together."""
    scripts = scripts_of(text)
    return len(scripts) > 1 and not scripts <= EAST_ASIAN_WITH_LATIN
