"""``python -m bidwire`` is the ``bidwire`` command."""

from .cli import main

raise SystemExit(main())
