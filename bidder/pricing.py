"""What to bid: the campaign's price against the floor, in the auction type in force.

All amounts here are CPM in the bidder's currency (the index converts campaign prices and
floors with the static FX table). The bid never exceeds the campaign's price.
"""

from __future__ import annotations

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


def round_price(price: float) -> float:
    """Prices go out with at most 6 decimals (CPM micro-units)."""
    return round(price, 6)


__all__ = ["FIRST_PRICE", "FIXED_PRICE", "SECOND_PRICE", "bid_price", "round_price"]
