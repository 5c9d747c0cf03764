"""A TCP proxy that delays what the client sends by a fixed time: a slow Redis, for tests.

Runs its own event loop in a thread. Every chunk from the client reaches the server ``delay``
seconds after it arrived, in order (so each pipelined command is answered that much later);
replies pass straight back. ``delay`` can be changed while it runs.
"""

from __future__ import annotations

import asyncio
import threading


class DelayProxy:
    """``127.0.0.1:port`` -> ``target``, each client chunk held ``delay`` seconds."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        loop = asyncio.get_running_loop()

        async def upstream() -> None:
            while data := await reader.read(65536):
                loop.call_later(self.delay, up_writer.write, data)
            loop.call_later(self.delay, up_writer.close)

        async def downstream() -> None:
            while data := await up_reader.read(65536):
                writer.write(data)
            writer.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(5)
        self._loop.close()
