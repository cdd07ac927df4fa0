"""Argument types shared by the headless subcommands (no Qt: app.cli itself reaches the GUI)."""
from __future__ import annotations

import argparse


def comma_numbers(count: int, expected: str):
    """An argparse type: `count` comma-separated numbers (a station E,N,H, a seed X,Y); `expected`
    says what they are in the error ("a station is E,N,H (three numbers)")."""
    def parse(text: str) -> tuple[float, ...]:
        try:
            values = tuple(float(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}, not '{text}'") from None
        if len(values) != count:
            raise argparse.ArgumentTypeError(f"{expected}, not '{text}'")
        return values

    return parse
