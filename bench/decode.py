"""Decode and encode cost per message: a shortcut for ``bidwire bench decode``.

    python bench/decode.py [--corpus DIR] [--repeat N] [--plot FILE.png] [--json]

The benchmark itself lives in the package (``bidwire/benchmarks/decode.py``) so that it works
after ``pip install``; ``bidwire bench decode --help`` lists the options.
"""

from __future__ import annotations

import sys

from bidwire.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "decode", *sys.argv[1:]]))
