"""The ``bidwire`` command: one entry point over openrtb, bidder, transport and fuzz."""
