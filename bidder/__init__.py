"""The bidder: front doors, the pipeline, its state. Importing it puts the check of the
compiled bid path modules in place (:mod:`bidder.compiled`)."""

from .compiled import install as _install

_install()
