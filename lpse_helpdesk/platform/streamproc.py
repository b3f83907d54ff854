"""The bulk rebuild's stream read in a process of its own (`rebuild.rebuild_in_bulk`).

Why: reading the stream (nats-py's parsing of every message and its headers, the event loop)
took about a quarter of a rebuild's CPU, in the same process as the decode, fold and SQLite
writes, so the two took turns on one interpreter lock while the machine has two cores. Here a
spawned child reads with `streamread.stream_batches` over its own connection and sends each pull
through a pipe (a pickled list of (seq, subject, data): little work on either side); the parent
folds and writes as before. The pipe's buffer is the back-pressure: the child waits while the
fold is behind. Stream order is kept (one reader, one pipe).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

Chunk = list[tuple[int, str, bytes]]
T = TypeVar("T")


def _read(nats_url: str, subjects: list[str], batch: int, out) -> None:
    """The child: every pull to `out`, then ("end",), or ("error", text) when the read fails."""
    from . import eventloop
    from .bus import command_connection
    from .streamread import stream_batches

    def told(read: int, total: int) -> None:
        out.send(("progress", read, total))

    async def main() -> None:
        async with command_connection(nats_url) as nc:
            async for chunk in stream_batches(nc, subjects, batch, progress=told):
                out.send(("chunk", chunk))

    try:
        eventloop.run(main())
        out.send(("end",))
    except BrokenPipeError:  # the parent stopped reading (its fold failed): nothing to tell
        pass
    except BaseException as exc:  # noqa: BLE001 - said to the parent, which raises it
        try:
            out.send(("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        out.close()


class StreamReader:
    """A child process reading `subjects` of the stream; `chunks()` yields its pulls in order
    (in the caller's thread, blocking). Close it (a `with` block) when done or failed."""

    def __init__(self, nats_url: str, subjects: list[str],
                 progress: Callable[[int, int], None] | None = None):
        import multiprocessing

        from . import streamread

        context = multiprocessing.get_context("spawn")  # no fork of a running event loop
        self._in, out = context.Pipe(duplex=False)
        self.progress = progress
        self.process = context.Process(target=_read,
                                       args=(nats_url, subjects, streamread.PULL, out),
                                       name="rebuild-stream-reader", daemon=True)
        self.process.start()
        out.close()  # the child's end: the parent sees EOF when the child is gone

    def chunks(self) -> Iterator[Chunk]:
        while True:
            try:
                kind, *rest = self._in.recv()
            except EOFError:
                raise RuntimeError("pembaca stream berhenti / the stream reader stopped "
                                   f"(exit code {self.process.exitcode})") from None
            if kind == "chunk":
                yield rest[0]
            elif kind == "progress":
                if self.progress is not None:
                    self.progress(*rest)
            elif kind == "end":
                return
            else:
                raise RuntimeError(f"membaca stream gagal / reading the stream failed: {rest[0]}")

    def __enter__(self) -> StreamReader:
        return self

    def __exit__(self, *exc) -> None:
        self._in.close()  # a child still sending gets a broken pipe and ends
        self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


async def read_apart(nats_url: str, subjects: list[str], fold: Callable[[Iterator[Chunk]], T],
                     progress: Callable[[int, int], None] | None = None) -> T:
    """`fold(chunks)` in a worker thread, the chunks read by a child process: for
    `rebuild.rebuild_in_bulk`, whose fold is `bulk_rebuild`."""
    import asyncio

    def run() -> T:
        with StreamReader(nats_url, subjects, progress) as reader:
            return fold(reader.chunks())

    return await asyncio.to_thread(run)
