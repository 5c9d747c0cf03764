"""Every option of the ``bidwire`` command says what it does and what it is when not given."""

from __future__ import annotations

import argparse

from bidwire.cli import build_parser


def _options(parser: argparse.ArgumentParser, prefix: str) -> list[tuple[str, argparse.Action]]:
    found: list[tuple[str, argparse.Action]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _options(sub, f"{prefix} {name}")
        elif action.option_strings and not isinstance(
            action, argparse._HelpAction | argparse._VersionAction
        ):
            found.append((prefix, action))
    return found


def test_every_option_has_help_with_its_default() -> None:
    missing = [
        f"{command} {action.option_strings[0]}"
        for command, action in _options(build_parser(), "bidwire")
        if not action.required and "default" not in (action.help or "")
    ]
    assert missing == []


def test_version_flag() -> None:
    parser = build_parser()
    assert any(isinstance(a, argparse._VersionAction) for a in parser._actions)
