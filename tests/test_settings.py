"""Every setting has a range, checked at start with one line naming it (bidwire/config.py)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from bidwire.config import (
    Config,
    SettingError,
    check_settings,
    load_config,
    with_overrides,
    with_public_url,
)


def _load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "bidwire.toml"
    path.write_text(text)
    return load_config(path)


@pytest.mark.parametrize(
    ("text", "setting", "value"),
    [
        ("[limits]\nmax_body_size = -1\n", "limits.max_body_size", "-1"),
        ("[limits]\nmax_concurrent_streams = 0\n", "limits.max_concurrent_streams", "0"),
        ("[limits]\nheader_timeout = -5\n", "limits.header_timeout", "-5"),
        ("[limits]\nstream_window = 100\n", "limits.stream_window", "100"),
        ("[app]\ngzip_min_size = -3\n", "app.gzip_min_size", "-3"),
        ("[app]\ngzip_level = 12\n", "app.gzip_level", "12"),
        ("[server]\nport = 99999\n", "server.port", "99999"),
        ("[server]\nworkers = 0\n", "server.workers", "0"),
        ("[server]\ngc_thresholds = [1, -2, 3]\n", "server.gc_thresholds[1]", "-2"),
        ("[pipeline]\nfirst_price_shading = 1.5\n", "pipeline.first_price_shading", "1.5"),
        ("[pipeline.state]\nbudget_share = 0\n", "pipeline.state.budget_share", "0"),
        ("[pipeline.notices]\nttl = 0\n", "pipeline.notices.ttl", "0"),
        ("[logging]\naccess_sample = 2\n", "logging.access_sample", "2"),
    ],
)
def test_out_of_range_is_one_line_naming_the_setting(
    tmp_path: Path, text: str, setting: str, value: str
) -> None:
    with pytest.raises(SettingError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"bad setting {setting}: {value} is out of range (must be ")
    assert message.endswith(f"(in {tmp_path / 'bidwire.toml'})")


def test_the_example_of_the_issue(tmp_path: Path) -> None:
    with pytest.raises(SettingError) as caught:
        _load(tmp_path, "[limits]\nmax_body_size = -1\n")
    assert str(caught.value) == (
        "bad setting limits.max_body_size: -1 is out of range (must be >= 1) "
        f"(in {tmp_path / 'bidwire.toml'})"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[limits]\nmax_bodysize = 5\n",
            "unknown setting limits.max_bodysize (did you mean max_body_size?)",
        ),
        ("[app]\nno_such_thing = 1\n", "unknown setting app.no_such_thing"),
        ("[nope]\nx = 1\n", "unknown setting nope"),
        ('[app]\nbid_path = "bid"\n', "bad setting app.bid_path: 'bid' is not a path starting"),
        ('[pipeline.state]\nstore = "redis:/x"\n', "bad setting pipeline.state.store: "),
        (
            '[pipeline.response]\npublic_url = "bidder.example"\n',
            "bad setting pipeline.response.public_url",
        ),
        ('[server]\nport = "80"\n', "bad setting server.port: '80' is not an integer"),
        ('[server]\nengine = "fast"\n', "bad setting server.engine: 'fast' is not one of"),
        ('[server]\nhost = ""\n', "bad setting server.host: must not be empty"),
    ],
)
def test_unknown_and_malformed_settings(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(SettingError) as caught:
        _load(tmp_path, text)
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_good_settings_load(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "[server]\nport = 0\nworkers = 1\n[limits]\nmax_body_size = 1\n"
        '[pipeline.state]\nstore = "redis://127.0.0.1:6379/0"\n'
        '[pipeline.response]\npublic_url = "https://bidder.example"\n'
        '[logging]\nlevel = "debug"\nformat = "json"\naccess_sample = 0.5\n',
    )
    assert config.limits.max_body_size == 1
    assert config.logging.access_sample == 0.5


def test_every_numeric_setting_has_a_range() -> None:
    """No int or float setting is left without a bound (the bug: any value was accepted)."""
    import msgspec.inspect as mi

    unbounded: list[str] = []

    def walk(t: mi.Type, path: str) -> None:
        if isinstance(t, mi.Metadata):
            t = t.type
        if isinstance(t, mi.UnionType):
            for member in t.types:
                walk(member, path)
        elif isinstance(t, mi.StructType):
            for f in t.fields:
                walk(f.type, f"{path}.{f.encode_name}".lstrip("."))
        elif isinstance(t, mi.TupleType):
            for i, item in enumerate(t.item_types):
                walk(item, f"{path}[{i}]")
        elif isinstance(t, mi.IntType | mi.FloatType) and (t.ge, t.gt, t.le, t.lt) == (None,) * 4:
            unbounded.append(path)

    walk(mi.type_info(Config), "")
    assert unbounded == []


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            {"port": 99999},
            "bad setting server.port: 99999 is out of range (must be >= 0 and "
            "<= 65535) (from --port)",
        ),
        (
            {"workers": 0},
            "bad setting server.workers: 0 is out of range (must be >= 1 and "
            "<= 1024) (from --workers)",
        ),
        (
            {"state": "memcached://x"},
            "bad setting pipeline.state.store: 'memcached://x' is not 'memory' or a redis://",
        ),
        ({"workers": 2, "port": 0}, "bad setting server.port: 0 (a free port) needs workers = 1"),
        ({"tls_cert": "a.pem"}, "--tls-cert and --tls-key go together"),
    ],
)
def test_command_line_flags_are_checked(flags: dict[str, object], expected: str) -> None:
    with pytest.raises(SettingError) as caught:
        with_overrides(Config(), **flags)  # type: ignore[arg-type]
    assert str(caught.value).startswith(expected)


def test_flags_override_the_file(tmp_path: Path) -> None:
    config = with_overrides(
        _load(tmp_path, "[server]\nport = 9000\n"), port=9001, state="redis://h:1/0"
    )
    assert config.server.port == 9001
    assert config.pipeline.state.store == "redis://h:1/0"


def test_check_settings_one_value() -> None:
    check_settings(8080, "from --port", "server.port")
    with pytest.raises(SettingError):
        check_settings(-1, "from --port", "server.port")


def test_public_url_is_derived_from_where_it_listens() -> None:
    """Bug: notice URLs pointed at http://127.0.0.1:8080 whatever --host, --port or TLS said."""
    config = with_overrides(Config(), host="127.0.0.1", port=0)
    derived, warning = with_public_url(config, 8123)
    assert derived.pipeline.response.public_url == "http://127.0.0.1:8123"
    assert warning is not None and "public_url is not set" in warning
    tls = with_overrides(Config(), tls_cert="c.pem", tls_key="k.pem", host="::1")
    assert with_public_url(tls, 443)[0].pipeline.response.public_url == "https://[::1]:443"
    given = msgspec.convert(
        {"pipeline": {"response": {"public_url": "https://bidder.example"}}}, Config
    )
    kept, none = with_public_url(given, 8123)
    assert kept.pipeline.response.public_url == "https://bidder.example"
    assert none is None


def test_memory_store_is_up() -> None:
    """Bug: bidwire_state_store_up was 0 under the memory store."""
    from bidder.metrics import STATE_STORE_UP
    from bidder.service import Bidder

    assert STATE_STORE_UP.value == 0
    Bidder(Config().bidder())
    assert STATE_STORE_UP.value == 1


def test_relative_paths_in_a_file_are_from_its_folder(tmp_path: Path) -> None:
    """So that `bidwire serve --config examples/bidwire.toml` works from any directory."""
    config = _load(tmp_path, 'campaigns = "c.toml"\n[server]\ntls_cert = "/abs/cert.pem"\n'
                             'tls_key = "k.pem"\n')  # fmt: skip
    assert config.campaigns == str(tmp_path / "c.toml")
    assert config.server.tls_cert == "/abs/cert.pem"
    assert config.server.tls_key == str(tmp_path / "k.pem")
    flagged = with_overrides(config, campaigns="mine.toml")
    assert flagged.campaigns == "mine.toml"  # a flag is the shell's
