"""Character names in prompts: `@name` typed by a user → the `@character_id` Sora expects.

Pure functions (text in, text out); the names come from the store. Chinese prompts often have
no space after a name (`@小猫在海边`), so known names are matched as prefixes, longest first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.core import texts

NAME_MAX_CHARS = 20
# Letters of any script (CJK included), digits and underscore: safe after @ and in buttons.
_NAME_RE = re.compile(rf"^\w{{1,{NAME_MAX_CHARS}}}$")
# A mention left after expansion; ids like `char.x1` (with a dot) are typed ids, not names.
_LEFTOVER_RE = re.compile(r"@([\w.]+)")


def valid_name(name: str) -> bool:
    return bool(_NAME_RE.match(name))


def default_name(taken: set[str]) -> str:
    """角色1, 角色2, … — the first one this user does not have yet."""
    number = 1
    while texts.ROLE_DEFAULT_NAME.format(number=number) in taken:
        number += 1
    return texts.ROLE_DEFAULT_NAME.format(number=number)


def expand_mentions(prompt: str, characters: Mapping[str, str]) -> tuple[str, list[str]]:
    """(prompt with every owned `@name` → ` @character_id `, names mentioned but not owned)."""
    expanded = prompt
    if characters:
        names = "|".join(re.escape(n) for n in sorted(characters, key=len, reverse=True))
        expanded = re.sub(f"@({names})", lambda m: f" @{characters[m.group(1)]} ", prompt)
        expanded = re.sub(r" {2,}", " ", expanded).strip()
    ids = set(characters.values())
    unknown = [
        word for word in _LEFTOVER_RE.findall(expanded) if word not in ids and "." not in word
    ]
    return expanded, unknown
