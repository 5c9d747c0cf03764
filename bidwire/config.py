"""The configuration of ``bidwire serve``: one Struct tree, decoded from TOML; every default in
the Structs it names. The composition root: it puts the transport's sections and the bidder's
together.

[server]
host = "127.0.0.1"
port = 8080
workers = 1

campaigns = "campaigns.toml"   # top level, before any table; default: the demo campaigns
                               # (relative paths in this file are from its folder)

[app]            # bidder.app.AppConfig
bid_path = "/openrtb2/bid"

[pipeline.response]   # bidder.pipeline.PipelineConfig (deadline, response, shading)
public_url = "https://bidder.example.com"

[limits]         # transport.limits.Limits
max_body_size = 1048576

[admission]      # transport.admission.AdmissionConfig
target_ms = 10.0

[logging]        # bidwire.logs.LoggingSection
level = "info"

[capture]        # bidder.capture.CaptureConfig: a sampled share of live traffic, for replay
path = "capture.jsonl.gz"
fraction = 0.01

[shadow]         # bidwire.shadow.ShadowConfig: a share of live traffic also sent to a candidate
url = "http://127.0.0.1:8081"
fraction = 0.1

Every setting has a type and a range (``msgspec.Meta`` on the Structs' fields). A file, and the
command line's flags, are checked against them by one function, :func:`check_settings`, which
raises :class:`SettingError`: one line naming the setting, the value and what it must be.
"""

from __future__ import annotations

import difflib
import re
import socket
from pathlib import Path

import msgspec
import msgspec.inspect as mi

from bidder.app import AppConfig
from bidder.capture import CaptureConfig
from bidder.pipeline import PipelineConfig
from bidder.service import BidderConfig
from transport.config import AdmissionConfig, ServerSection
from transport.limits import Limits

from .logs import LoggingSection
from .shadow import ShadowConfig


class Config(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Everything ``bidwire serve`` can be told."""

    #: The campaign file (TOML or JSON); absent: the demo campaigns shipped in the package.
    campaigns: str | None = None
    server: ServerSection = msgspec.field(default_factory=ServerSection)
    app: AppConfig = msgspec.field(default_factory=AppConfig)
    pipeline: PipelineConfig = msgspec.field(default_factory=PipelineConfig)
    limits: Limits = msgspec.field(default_factory=Limits)
    logging: LoggingSection = msgspec.field(default_factory=LoggingSection)
    capture: CaptureConfig = msgspec.field(default_factory=CaptureConfig)
    shadow: ShadowConfig = msgspec.field(default_factory=ShadowConfig)
    admission: AdmissionConfig = msgspec.field(default_factory=AdmissionConfig)

    def bidder(self) -> BidderConfig:
        """The bidder's part of this configuration."""
        return BidderConfig(campaigns=self.campaigns, app=self.app, pipeline=self.pipeline,
                            capture=self.capture)  # fmt: skip


class SettingError(ValueError):
    """A setting that cannot be used, as one line: ``bad setting limits.max_body_size: -1 is
    out of range (must be >= 1) (in bidwire.toml)``."""


#: The command line's flags and the settings they override.
FLAGS: dict[str, str] = {
    "host": "server.host",
    "port": "server.port",
    "workers": "server.workers",
    "tls_cert": "server.tls_cert",
    "tls_key": "server.tls_key",
    "engine": "server.engine",
    "state": "pipeline.state.store",
    "campaigns": "campaigns",
    "log_level": "logging.level",
    "log_format": "logging.format",
    "capture": "capture.path",
    "capture_fraction": "capture.fraction",
    "shadow": "shadow.url",
    "shadow_fraction": "shadow.fraction",
}

_NAMES: dict[type[mi.Type], str] = {
    mi.IntType: "an integer",
    mi.FloatType: "a number",
    mi.StrType: "a string",
    mi.BoolType: "true or false",
    mi.StructType: "a table",
    mi.DictType: "a table",
    mi.ListType: "a list",
    mi.VarTupleType: "a list",
    mi.TupleType: "a list",
}


def _matches(value: object, t: mi.Type) -> bool:
    """Whether ``value`` (decoded TOML) has the kind of ``t``, ranges aside."""
    if isinstance(t, mi.Metadata):
        return _matches(value, t.type)
    if isinstance(t, mi.NoneType):
        return value is None
    if isinstance(t, mi.BoolType):
        return isinstance(value, bool)
    if isinstance(t, mi.IntType):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(t, mi.FloatType):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(t, mi.StrType):
        return isinstance(value, str)
    if isinstance(t, mi.LiteralType):
        return value in t.values
    if isinstance(t, mi.StructType | mi.DictType):
        return isinstance(value, dict)
    if isinstance(t, mi.ListType | mi.VarTupleType | mi.TupleType):
        return isinstance(value, list | tuple)
    return True  # anything else is msgspec's to judge


def _expected(t: mi.Type) -> str:
    if isinstance(t, mi.Metadata):
        return _expected(t.type)
    if isinstance(t, mi.UnionType):
        return " or ".join(_expected(m) for m in t.types)
    if isinstance(t, mi.NoneType):
        return "absent"
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(repr(v) for v in t.values)
    return _NAMES.get(type(t), "something else")


def _range(value: int | float, t: mi.IntType | mi.FloatType) -> str | None:
    """What ``value`` breaks of ``t``'s bounds, as "must be >= 1 and <= 9"; None when it fits."""
    bounds = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
    tests = {
        "ge": lambda v, b: v >= b,
        "gt": lambda v, b: v > b,
        "le": lambda v, b: v <= b,
        "lt": lambda v, b: v < b,
    }
    ok = all(getattr(t, k) is None or tests[k](value, getattr(t, k)) for k, _ in bounds)
    if ok:
        return None
    limits = [(sign, getattr(t, k)) for k, sign in bounds if getattr(t, k) is not None]
    return " and ".join(f"{sign} {bound}" for sign, bound in limits)


def _problem(value: object, t: mi.Type, path: str) -> tuple[str, str] | None:
    """The first problem of ``value`` as the setting ``path`` of type ``t``: (path, what)."""
    description = None
    if isinstance(t, mi.Metadata):
        description = (t.extra_json_schema or {}).get("description")
        t = t.type
    if isinstance(t, mi.UnionType):
        for member in t.types:
            if _matches(value, member):
                return _problem(value, member, path)
        return path, f"{value!r} is not {_expected(t)}"
    if not _matches(value, t):
        return path, f"{value!r} is not {_expected(t)}"
    if isinstance(t, mi.IntType | mi.FloatType):
        assert isinstance(value, int | float)
        broken = _range(value, t)
        if broken is not None:
            return path, f"{value!r} is out of range (must be {broken})"
    elif isinstance(t, mi.StrType):
        assert isinstance(value, str)
        if t.min_length is not None and len(value) < t.min_length:
            return path, "must not be empty"
        if t.pattern is not None and not re.search(t.pattern, value):
            return path, f"{value!r} is not {description or 'of the form ' + t.pattern}"
    elif isinstance(t, mi.StructType):
        assert isinstance(value, dict)
        fields = {f.encode_name: f for f in t.fields}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            field = fields.get(key)
            if field is None:
                close = difflib.get_close_matches(str(key), fields, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                return where, f"unknown setting{hint}"
            found = _problem(item, field.type, where)
            if found is not None:
                return found
    elif isinstance(t, mi.DictType):
        assert isinstance(value, dict)
        for key, item in value.items():
            found = _problem(item, t.value_type, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(t, mi.ListType | mi.VarTupleType):
        assert isinstance(value, list | tuple)
        for i, item in enumerate(value):
            found = _problem(item, t.item_type, f"{path}[{i}]")
            if found is not None:
                return found
    elif isinstance(t, mi.TupleType):
        assert isinstance(value, list | tuple)
        if len(value) != len(t.item_types):
            return path, f"{list(value)!r} must have {len(t.item_types)} items"
        for i, (item, item_type) in enumerate(zip(value, t.item_types, strict=True)):
            found = _problem(item, item_type, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _type_at(path: str) -> mi.Type:
    """The type of the setting at ``path`` ("server.port")."""
    t: mi.Type = mi.type_info(Config)
    for part in path.split("."):
        if isinstance(t, mi.Metadata):
            t = t.type
        assert isinstance(t, mi.StructType), path
        t = next(f.type for f in t.fields if f.encode_name == part)
    return t


def check_settings(raw: object, source: str, path: str = "") -> None:
    """Check decoded settings against the config's types and ranges: the whole file
    (``path`` "") or one setting (``path`` "server.port", from a flag). Raises
    :class:`SettingError` naming the first bad setting and ``source`` ("in FILE", "from
    --port")."""
    found = _problem(raw, _type_at(path) if path else mi.type_info(Config), path)
    if found is not None:
        where, what = found
        if what.startswith("unknown setting"):
            hint = what.removeprefix("unknown setting")
            raise SettingError(f"unknown setting {where}{hint} ({source})")
        raise SettingError(f"bad setting {where}: {what} ({source})")


def load_config(path: str | Path | None) -> Config:
    """Read a TOML config file (None: all defaults). Raises :class:`SettingError` naming the
    bad setting, or ``OSError`` when the file cannot be read."""
    if path is None:
        return Config()
    data = Path(path).read_bytes()
    source = f"in {path}"
    try:
        raw = msgspec.toml.decode(data)
    except msgspec.DecodeError as exc:
        raise SettingError(f"{path}: not valid TOML: {exc}") from None
    check_settings(raw, source)
    try:
        config = msgspec.convert(raw, Config)
    except msgspec.ValidationError as exc:  # what the walk above does not cover
        raise SettingError(f"bad setting: {exc} ({source})") from None
    return _beside(config, Path(path).parent)


def _beside(config: Config, folder: Path) -> Config:
    """``config`` with the relative file paths it names (campaigns, certificate, key) taken
    from ``folder``, the config file's: the file means the same from any working directory
    (a service manager's, a container's). Paths given as flags stay the shell's."""

    def near(name: str | None) -> str | None:
        return str(folder / name) if name and not Path(name).is_absolute() else name

    replace = msgspec.structs.replace
    server = replace(config.server, tls_cert=near(config.server.tls_cert),
                     tls_key=near(config.server.tls_key))  # fmt: skip
    return replace(config, campaigns=near(config.campaigns), server=server)


def with_overrides(config: Config, **flags: str | float | None) -> Config:
    """``config`` with the command line's overrides (keyword: the flag's name in
    :data:`FLAGS`, None: not given) applied, each checked like a file's setting. Raises
    :class:`SettingError` when one is out of range or the result does not hold together."""
    raw = msgspec.to_builtins(config)
    for name, value in flags.items():
        if value is None:
            continue
        setting = FLAGS[name]
        check_settings(value, f"from --{name.replace('_', '-')}", setting)
        *parents, leaf = setting.split(".")
        node = raw
        for part in parents:
            node = node[part]
        node[leaf] = value
    config = msgspec.convert(raw, Config)
    if bool(config.server.tls_cert) != bool(config.server.tls_key):
        raise SettingError("--tls-cert and --tls-key go together (server.tls_cert, tls_key)")
    if config.server.workers > 1 and config.server.port == 0:
        raise SettingError("bad setting server.port: 0 (a free port) needs workers = 1")
    return config


def public_url(section: ServerSection, port: int) -> str:
    """The URL this server is reached at, as far as its listening address says: its scheme,
    host (the machine's name when it listens on every address) and ``port``."""
    scheme = "https" if section.tls_cert else "http"
    host = section.host
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def with_public_url(config: Config, port: int) -> tuple[Config, str | None]:
    """``config`` with ``[pipeline.response] public_url`` set, and a warning to log when it
    was not configured and had to be derived from the listening address (``port``: the one
    bound, which differs from the setting for port 0)."""
    if config.pipeline.response.public_url is not None:
        return config, None
    url = public_url(config.server, port)
    replace = msgspec.structs.replace
    pipeline = config.pipeline
    response = replace(pipeline.response, public_url=url)
    config = replace(config, pipeline=replace(pipeline, response=response))
    warning = (
        f"[pipeline.response] public_url is not set: notice URLs (nurl, burl, lurl) point at "
        f"{url}, made of the host and port served; set it to the address exchanges reach"
    )
    return config, warning


__all__ = [
    "FLAGS",
    "Config",
    "SettingError",
    "check_settings",
    "load_config",
    "public_url",
    "with_overrides",
    "with_public_url",
]
