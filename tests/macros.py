"""Filling notice URLs the way an exchange does (OpenRTB 2.6 section 4.4), for the tests."""

from __future__ import annotations


def fill(url: str, **macros: str) -> str:
    """The URL as an exchange sends it: each ``${MACRO}`` named here replaced by its value."""
    for name, value in macros.items():
        url = url.replace("${" + name + "}", value)
    return url


def exchange_fill(
    url: str,
    *,
    auction: str,
    bidid: str,
    imp: str,
    seat: str,
    ad: str,
    price: str,
    cur: str,
    min_to_win: str,
    multiplier: str,
    loss: str = "102",
) -> str:
    """Every macro of a notice URL filled, as the exchange fills them."""
    return fill(
        url,
        AUCTION_ID=auction,
        AUCTION_BID_ID=bidid,
        AUCTION_IMP_ID=imp,
        AUCTION_SEAT_ID=seat,
        AUCTION_AD_ID=ad,
        AUCTION_PRICE=price,
        AUCTION_CURRENCY=cur,
        AUCTION_MIN_TO_WIN=min_to_win,
        AUCTION_MULTIPLIER=multiplier,
        AUCTION_LOSS=loss,
    )
