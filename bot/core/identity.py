"""Who is who across platforms, with the database's INTEGER ids unchanged.

Rules:
- a Telegram id is stored as it is (users > 0, groups < 0; at most 52 significant bits per
  the Bot API), so existing rows keep working without any migration;
- a QQ user n is stored as QQ_BASE + n and a QQ group n as -(QQ_BASE + n), QQ_BASE = 2**56:
  a range Telegram never uses, so `qq:123` and Telegram user 123 are different people;
- `display` and `parse` are inverse for every id: "123", "-100…", "qq:123", "qqgroup:456".
"""

from __future__ import annotations

QQ_BASE = 1 << 56
_QQ_LIMIT = 1 << 40  # QQ numbers are far below this; keeps the ranges apart


def qq_user(number: int) -> int:
    return QQ_BASE + int(number)


def qq_group(number: int) -> int:
    return -(QQ_BASE + int(number))


def platform_of(ident: int) -> str:
    return "qq" if abs(ident) >= QQ_BASE else "telegram"


def raw_qq(ident: int) -> int:
    """The QQ number (or group number) behind a QQ identity."""
    if platform_of(ident) != "qq":
        raise ValueError("not a QQ identity")
    return abs(ident) - QQ_BASE


def is_group(ident: int) -> bool:
    return ident < 0


def display(ident: int) -> str:
    if platform_of(ident) == "telegram":
        return str(ident)
    return f"qqgroup:{raw_qq(ident)}" if ident < 0 else f"qq:{raw_qq(ident)}"


def parse(text: str | int) -> int:
    """"123" / "-100…" (Telegram), "qq:123", "qqgroup:456" → the stored id; ValueError else."""
    if isinstance(text, int):
        return text
    value = text.strip().lower().replace("：", ":")
    for prefix, make in (("qqgroup:", qq_group), ("qq:", qq_user)):
        if value.startswith(prefix):
            number = value[len(prefix) :].strip()
            if not number.isdecimal() or not 0 < int(number) < _QQ_LIMIT:
                raise ValueError(f"bad QQ id: {text!r}")
            return make(int(number))
    ident = int(value)
    if platform_of(ident) != "telegram":
        raise ValueError(f"not a Telegram id: {text!r}")
    return ident
