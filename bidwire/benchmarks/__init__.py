"""``bidwire bench``: the benchmarks behind the README's performance table.

- ``decode``: the cost per message of each JSON and protobuf decoder and encoder on a corpus
  (:mod:`.decode`, plotted by :mod:`.plots`);
- ``load``: bidwire against granian, uvicorn and hypercorn serving the same app, under h2load,
  with nghttpd's fixed answer as the floor (:mod:`.load`, over :mod:`.servers` and
  :mod:`.h2load`);
- ``memory``: RSS and garbage collections over a long run, request arena on and off
  (:mod:`.memory`).

The command line is in :mod:`.cli`; each command imports its module only when it runs.
"""
