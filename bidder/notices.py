"""Win, billing and loss notices: signed URLs out with each bid, and the endpoint they come back to.

Each bid's nurl, burl and lurl carry the bid's identity as the bidder saw it (auction and imp
ids, bid id, seat, campaign, creative, bid price and currency, issue time, a keyed hash of the
user) and an HMAC-SHA256 over all of it, then the OpenRTB 2.6 macros for the exchange to fill
(``${AUCTION_PRICE}`` and the rest). A notice is accepted only if the signature verifies under
one of the configured keys (the first signs; the others still verify, for rotation), the
macros the exchange filled agree with the signed identity, and the clearing price is a number
between 0 and the bid price. Forgeries are answered 403, bad prices 400, notices older than the
dedup window 410; a replay within it is answered like the first and counted once.

The clearing price goes through a :data:`PriceDecoder`: plain decimal by default; an exchange's
encrypted price macro plugs in there (``register_price_decoder``) without touching the rest.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, NamedTuple
from urllib.parse import parse_qsl

import msgspec

from transport.events import error_body

from .events import Event
from .index import IndexHolder
from .metrics import LOSSES, NOTICES, SPEND_NANOS
from .state import State, nanos
from .templates import quoted

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

log = logging.getLogger("bidwire")

NoticeKind = Literal["win", "bill", "loss"]
KINDS: Final[tuple[NoticeKind, ...]] = ("win", "bill", "loss")
#: The signed fields, in signing order: what the bidder knew when it bid.
SIGNED: Final = ("a", "i", "b", "s", "c", "cr", "p", "cur", "t", "u")
#: Query parameter -> the macro the exchange fills into it (OpenRTB 2.6 section 4.4).
MACROS: Final = (
    ("auction", "AUCTION_ID"),
    ("bidid", "AUCTION_BID_ID"),
    ("imp", "AUCTION_IMP_ID"),
    ("seat", "AUCTION_SEAT_ID"),
    ("ad", "AUCTION_AD_ID"),
    ("price", "AUCTION_PRICE"),
    ("acur", "AUCTION_CURRENCY"),
    ("mtw", "AUCTION_MIN_TO_WIN"),
    ("mult", "AUCTION_MULTIPLIER"),
)
#: Exchange-filled identity macros that must equal a signed field (the response's bidid is the
#: request id: see bidder.response).
_IDENTITY: Final = (("auction", "a"), ("bidid", "a"), ("imp", "i"), ("seat", "s"), ("ad", "cr"))

#: Turns the exchange's ``${AUCTION_PRICE}`` text into a CPM; raises ValueError if it cannot.
PriceDecoder = Callable[[str], float]


def plain_price(text: str) -> float:
    """A clear-text decimal CPM (the default)."""
    return float(text)


_PRICE_DECODERS: dict[str, PriceDecoder] = {"plain": plain_price}


def register_price_decoder(name: str, decoder: PriceDecoder) -> None:
    """Make ``decoder`` available as ``notices.price_decoder = name`` in the config (the hook
    for an exchange's encrypted price macros)."""
    _PRICE_DECODERS[name] = decoder


class NoticeKey(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A signing key: its id travels in the URL so that verification picks the right secret."""

    id: str
    secret: str


class NoticeConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Notice URLs and how they are checked."""

    #: The first key signs, every key verifies. Empty: one random key per process start (so
    #: notices for bids made before a restart are refused: configure keys in production, and
    #: the same keys on every worker and host).
    keys: list[NoticeKey] = []
    #: Which notice spends the budget: the billing notice (burl), or the win notice (nurl).
    bill_on: Literal["burl", "nurl"] = "burl"
    #: Where the frequency-cap user key comes from, first present wins.
    user_keys: tuple[Literal["user.id", "user.buyeruid", "device.ifa"], ...] = (
        "user.id",
        "user.buyeruid",
        "device.ifa",
    )
    #: The name of the clearing-price decoder (see ``register_price_decoder``).
    price_decoder: str = "plain"
    #: Clock skew allowed for a notice's issue time in the future (seconds).
    max_skew: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    #: How long a notice URL stays valid (seconds): older notices are refused (410), and
    #: replays are remembered exactly that long, so a bid is never counted twice.
    ttl: Annotated[float, msgspec.Meta(gt=0)] = 3600.0


class Signer:
    """Signs and verifies the bid identity carried in notice URLs."""

    def __init__(self, keys: list[NoticeKey]) -> None:
        if not keys:
            keys = [_process_key()]
        self.key_id = keys[0].id
        self._secrets = {k.id: k.secret.encode() for k in keys}
        self._signing = self._secrets[self.key_id]
        # HMAC-SHA256 (RFC 2104) with its two keyed pads hashed once: each signature then
        # costs copies of these states (hmac.digest hashes both pads again every call: 2.8
        # against 1.1 µs per signature here).
        self._inner, self._outer = _keyed_pads(self._signing)
        self._user = hashlib.blake2b(key=self._signing[:64], digest_size=8)

    @staticmethod
    def _message(values: Mapping[str, str]) -> bytes:
        # Length-prefixed, so that no two different field tuples sign the same bytes.
        return "".join(f"{len(values[f])}:{values[f]};" for f in SIGNED).encode()

    def sign(self, values: Mapping[str, str]) -> str:
        """The signature of ``values`` (every field of :data:`SIGNED`) under the first key."""
        return _digest(self._signing, self._message(values))

    def sign_message(self, message: bytes) -> str:
        """The signature of an already formed message (what :meth:`sign` forms from values)."""
        inner = self._inner.copy()
        inner.update(message)
        return self.finish(inner)

    def begin(self, head: bytes) -> Hash:
        """A signing state that has read ``head``, the start of a message: copy it, update the
        copy with the rest and :meth:`finish` it (:func:`bidder.response.build_response` signs
        every bid of a response from one state that has read the fields they share)."""
        inner = self._inner.copy()
        inner.update(head)
        return inner

    def finish(self, inner: Hash) -> str:
        """The signature of the message a state from :meth:`begin` has read."""
        outer = self._outer.copy()
        outer.update(inner.digest())
        return _b64(outer.digest())

    def verify(self, key_id: str, signature: str, values: Mapping[str, str]) -> bool:
        """Whether ``signature`` is the signature of ``values`` under key ``key_id``."""
        secret = self._secrets.get(key_id)
        if secret is None:
            return False
        return hmac.compare_digest(_digest(secret, self._message(values)), signature)

    def user_hash(self, user: str) -> str:
        """A keyed hash of a user id: caps count by it, and no raw id goes into a URL."""
        state = self._user.copy()  # the keyed state: the key block is hashed once
        state.update(user.encode())
        return state.hexdigest()


_PROCESS_KEYS: list[NoticeKey] = []


def _process_key() -> NoticeKey:
    """One random key per process, for configurations that name none (warned about once)."""
    if not _PROCESS_KEYS:
        _PROCESS_KEYS.append(NoticeKey(id="auto", secret=secrets.token_urlsafe(32)))
        log.warning("no notice keys configured: using a random key for this process")
    return _PROCESS_KEYS[0]


def _digest(secret: bytes, message: bytes) -> str:
    return _b64(hmac.digest(secret, message, "sha256"))


_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


def _b64(digest: bytes) -> str:
    # 128 bits of HMAC-SHA256, URL-safe base64 without padding (22 characters).
    return binascii.b2a_base64(digest[:16], newline=False)[:22].translate(_URLSAFE).decode()


def _keyed_pads(secret: bytes) -> tuple[Hash, Hash]:
    """SHA-256 states that have read the key XOR ipad and the key XOR opad (RFC 2104)."""
    if len(secret) > _BLOCK:
        secret = hashlib.sha256(secret).digest()
    key = secret.ljust(_BLOCK, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))  # fmt: skip


_BLOCK: Final = 64  # SHA-256's block size


#: The macro half of every notice query: the same text for every bid.
MACRO_QUERY: Final = "&".join(f"{param}=${{{macro}}}" for param, macro in MACROS)
_MACRO_QUERY: Final = MACRO_QUERY
_quoted = quoted


class NoticeUrls(NamedTuple):
    nurl: str
    burl: str
    lurl: str


def notice_urls(base: str, signer: Signer, values: Mapping[str, str]) -> NoticeUrls:
    """The three notice URLs of one bid, signed, with the macros left for the exchange."""
    signed = "&".join(f"{f}={_quoted(values[f])}" for f in SIGNED)
    query = f"{signed}&k={_quoted(signer.key_id)}&sig={signer.sign(values)}&{_MACRO_QUERY}"
    return NoticeUrls(
        f"{base}/notice/win?{query}",
        f"{base}/notice/bill?{query}",
        f"{base}/notice/loss?{query}&loss=${{AUCTION_LOSS}}",
    )


class NoticeAnswer(NamedTuple):
    """What the endpoint answers: a status, a body and its content type."""

    status: int
    body: bytes = b""
    content_type: bytes = b"application/json"


class _Refused(Exception):
    def __init__(self, status: int, outcome: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome
        self.message = message
        self.param = param


def _filled(params: Mapping[str, str], name: str) -> str | None:
    """A macro parameter's value, or None when absent or left unfilled by the exchange."""
    value = params.get(name)
    if value is None or value == "" or value.startswith("${"):
        return None
    return value


class NoticeHandler:
    """The notice endpoint's logic: query parameters in, state updated, an answer out."""

    def __init__(
        self,
        config: NoticeConfig,
        signer: Signer,
        state: State,
        holder: IndexHolder,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        self.wallclock = wallclock
        self.config = config
        self.signer = signer
        self.state = state
        self.holder = holder
        decoder = _PRICE_DECODERS.get(config.price_decoder)
        if decoder is None:
            raise ValueError(f"no price decoder named {config.price_decoder!r}")
        self.decode_price = decoder

    def handle(
        self, kind: str, query: bytes, now: float | None = None
    ) -> NoticeAnswer | Coroutine[Any, Any, NoticeAnswer]:
        """Answer one notice of ``kind`` ("win", "bill" or "loss") with URL-encoded ``query``
        (the URL's query, or a form-encoded POST body) received at wall-clock ``now``. With a
        shared state store the answer may be a coroutine (one round trip to claim the notice)."""
        if now is None:
            now = self.wallclock()
        if kind not in KINDS:
            return self._refuse(kind, _Refused(404, "unknown_kind", "no such notice"))
        try:
            params = dict(parse_qsl(query.decode("utf-8", "strict"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return self._refuse(kind, _Refused(400, "malformed", "query is not URL-encoded UTF-8"))
        try:
            return self._handle(kind, params, now)
        except _Refused as refused:
            return self._refuse(kind, refused)

    def _refuse(self, kind: str, refused: _Refused) -> NoticeAnswer:
        NOTICES.inc(f"{kind}_{refused.outcome}")
        return NoticeAnswer(refused.status, error_body(refused.message, refused.param))

    def _handle(
        self, kind: str, params: dict[str, str], now: float
    ) -> NoticeAnswer | Coroutine[Any, Any, NoticeAnswer]:
        values = {}
        for field in SIGNED:
            value = params.get(field)
            if value is None:
                raise _Refused(400, "malformed", f"missing {field}", field)
            values[field] = value
        key_id, signature = params.get("k", ""), params.get("sig", "")
        if not self.signer.verify(key_id, signature, values):
            raise _Refused(403, "forged", "bad signature")
        for param, field in _IDENTITY:
            filled = _filled(params, param)
            if filled is not None and filled != values[field]:
                raise _Refused(403, "altered", f"{param} differs from the bid", param)
        try:
            issued_ms = int(values["t"])
            bid_price = float(values["p"])
        except ValueError:
            raise _Refused(400, "malformed", "bad signed field") from None
        issued = issued_ms / 1000.0
        if issued > now + self.config.max_skew:
            raise _Refused(403, "future", "notice from the future", "t")
        until = issued + self.config.ttl
        if now > until:
            raise _Refused(410, "expired", "notice past its window", "t")
        currency = _filled(params, "acur")
        if currency is not None and currency != values["cur"]:
            raise _Refused(400, "bad_currency", "currency differs from the bid", "acur")
        price = self._price(params, bid_price, required=kind != "loss")
        multiplier = self._number(params, "mult")
        self._number(params, "mtw")
        entry = self.holder.index.by_id.get(values["c"])
        if entry is None:
            raise _Refused(404, "unknown_campaign", "no such campaign", "c")
        creative = entry.creative_by_id.get(values["cr"])
        if creative is None:
            raise _Refused(404, "unknown_creative", "no such creative", "cr")
        budget = entry.budget
        user = values["u"] or None
        try:
            # Spend and reservations are kept in the bidder's currency.
            reserved = nanos(self.holder.index.to_bidder_currency(bid_price, values["cur"]))
            if price is not None:
                price = self.holder.index.to_bidder_currency(price, values["cur"])
        except KeyError:
            raise _Refused(400, "bad_currency", "no fx rate for the bid currency", "cur") from None
        event = Event(kind, issued_ms, values["a"], values["i"], values["c"],
                      nanos(price) if price is not None else reserved,
                      _filled(params, "loss") or "" if kind == "loss" else "")  # fmt: skip

        def apply(first: bool) -> NoticeAnswer:
            # One count per bid and notice kind, whatever the exchange resends.
            if first:
                if kind == "win":
                    self.state.won(budget, user, issued, now)
                if (kind == "bill" and self.config.bill_on == "burl") or (
                    kind == "win" and self.config.bill_on == "nurl"
                ):
                    assert price is not None
                    spent = nanos(price * (multiplier if multiplier is not None else 1.0))
                    self.state.billed(budget, issued, reserved, spent, now)
                    SPEND_NANOS.inc(entry.campaign.id, spent)
                if kind == "loss":
                    self.state.lost(budget, user, issued, reserved, now)
                    LOSSES.inc(event.detail or "unknown")
                self.state.record(event)
                NOTICES.inc(f"{kind}_ok")
            else:
                NOTICES.inc(f"{kind}_duplicate")
            if kind == "win" and creative.serve_on_win:
                markup = creative.markup.replace("${AUCTION_PRICE}", params.get("price", ""))
                return NoticeAnswer(200, markup.encode(), b"text/html; charset=utf-8")
            return NoticeAnswer(204)

        key = f"{kind}|{key_id}|{signature}"
        first = self.state.first_notice(key, now, until)
        if not first or not self.state.shared:
            return apply(first)
        claim = self.state.claim_notice

        async def shared() -> NoticeAnswer:
            # Another worker of the fleet may have counted it: ask the shared store.
            return apply(await claim(key, until))

        return shared()

    def _price(
        self, params: Mapping[str, str], bid_price: float, *, required: bool
    ) -> float | None:
        text = _filled(params, "price")
        if text is None:
            if required:
                raise _Refused(400, "bad_price", "price: not filled", "price")
            return None
        try:
            price = self.decode_price(text)
        except ValueError:
            raise _Refused(400, "bad_price", "price: not a number", "price") from None
        if not math.isfinite(price) or price < 0:
            raise _Refused(400, "bad_price", "price: must be a finite number >= 0", "price")
        if price > bid_price + 1e-9:
            raise _Refused(400, "bad_price", "price: above the bid price", "price")
        return price

    @staticmethod
    def _number(params: Mapping[str, str], name: str) -> float | None:
        text = _filled(params, name)
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            raise _Refused(400, "malformed", f"{name}: not a number", name) from None
        if not math.isfinite(value) or value < 0:
            raise _Refused(400, "malformed", f"{name}: must be a finite number >= 0", name)
        return value


__all__ = [
    "KINDS",
    "MACRO_QUERY",
    "NoticeAnswer",
    "NoticeConfig",
    "NoticeHandler",
    "NoticeKey",
    "NoticeUrls",
    "PriceDecoder",
    "Signer",
    "notice_urls",
    "plain_price",
    "register_price_decoder",
]
