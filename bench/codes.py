"""Ticket codes and public ids for bulk rows: random-looking like the app's (core/ids.py), but drawn from
the row's id by a keyed permutation, so they are unique without a set of the million codes already
given, the same for the same seed, and computed by any worker for any row."""

from __future__ import annotations

from linka.core.ids import CODE_ALPHABET

_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


def scramble(number: int, bits: int, key: int) -> int:
    """A bijection of [0, 2**bits): xor with the key, then rounds of multiplying by an odd constant and
    folding the high half down, each invertible."""
    mask = (1 << bits) - 1
    shift = bits // 2
    value = (number ^ key) & mask
    for multiplier in _MULTIPLIERS:
        value = (value * (multiplier & mask | 1)) & mask
        value ^= value >> shift
    return value


_PAIRS = [low + high for high in CODE_ALPHABET for low in CODE_ALPHABET]  # ten bits: the low five first


def _digits(value: int, length: int) -> str:
    """`length` (even) characters of the alphabet for the low 5 × length bits of `value`."""
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in range(0, 5 * length, 10)])


def ticket_code(ticket_id: int, key: int) -> str:
    """`XKQ-7A2-M9P`: nine characters of the alphabet are 45 bits."""
    raw = _digits(scramble(ticket_id, 45, key), 10)[:9]
    return f"{raw[0:3]}-{raw[3:6]}-{raw[6:9]}"


def public_id(prefix: str, row_id: int, key: int) -> str:
    """`mg_7k2m9xq4tr3b`: twelve characters are 60 bits; each prefix (table) has its own ids."""
    return f"{prefix}_{_digits(scramble(row_id, 60, key), 12).lower()}"
