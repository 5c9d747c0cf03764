"""What to bid: the campaign's price against the floor, in the auction type in force.

All amounts here are CPM in the bidder's currency (the index converts campaign prices and
floors with the static FX table). The bid never exceeds the campaign's price.
"""

from __future__ import annotations

import math
from typing import Final

FIRST_PRICE: Final = 1
SECOND_PRICE: Final = 2
FIXED_PRICE: Final = 3  # deals: the deal's floor is the price (OpenRTB 2.6 list 5.9, value 3)


def bid_price(value: float, floor: float, at: int, *, shading: float = 1.0) -> float | None:
    """The price to bid, or None when the campaign cannot meet the floor.

    - second price (2): bid the campaign's value; the exchange charges the clearing price;
    - first price (1): bid ``value * shading`` (shading <= 1 keeps margin), never below the floor;
    - fixed price (3, deals): bid exactly the deal price (the floor), if the campaign affords it.
    """
    if value < floor or value <= 0:
        return None
    if at == FIXED_PRICE:
        return floor if floor > 0 else None
    if at == FIRST_PRICE:
        return min(value, max(floor, value * shading))
    return value


def round_price(price: float, floor: float, ceiling: float) -> float | None:
    """``price`` in whole micro-CPM (6 decimals), never below ``floor`` nor above ``ceiling``
    (rounding to the nearest could cross either by half a micro). None when no micro-CPM
    value lies between them."""
    micros = math.floor(price * 1_000_000 + 1e-6)
    low = math.ceil(floor * 1_000_000 - 1e-6)
    high = math.floor(ceiling * 1_000_000 + 1e-6)
    micros = min(max(micros, low), high)
    if micros < low:
        return None
    out = micros / 1_000_000
    if out < floor:  # float division can land a hair under; step up one micro if allowed
        out = (micros + 1) / 1_000_000
        if out > ceiling:
            return None
    return out


__all__ = ["FIRST_PRICE", "FIXED_PRICE", "SECOND_PRICE", "bid_price", "round_price"]
