"""The kernel client of the runner's forked kernels (see :func:`agrocluster.forkserver.kernel_manager`).

jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been silent for 0.2 s, written for
kernels that may sit across a network. A forked kernel runs on the same machine and has said everything it
says at start-up within milliseconds, so the runner's client waits as jupyter_client does but takes
:data:`IOPUB_SETTLE_S` of silence as the end: 0.2 s less of idle time per task. Messages that arrive later
are not lost: nbclient reads IOPub for each cell and keeps only the replies to that cell's request.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient

#: Seconds of IOPub silence that end the start-up of a forked kernel (jupyter_client waits 0.2 s).
IOPUB_SETTLE_S = 0.02
#: Seconds to wait for the kernel_info reply before asking again, and for the first IOPub message.
SHELL_WAIT_S = 1.0
IOPUB_WAIT_S = 0.2


class LocalKernelClient(AsyncKernelClient):
    """An asynchronous kernel client whose :meth:`wait_for_ready` settles on a shorter IOPub silence."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Ask for ``kernel_info`` until the kernel replies on the shell channel and IOPub delivers a message
        (ipykernel 7 greets a new subscriber with ``iopub_welcome``), as jupyter_client does; then read what
        IOPub still holds until :data:`IOPUB_SETTLE_S` passes without a message.

        Raises RuntimeError when the kernel dies first or does not answer within ``timeout`` seconds.
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=SHELL_WAIT_S)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=IOPUB_WAIT_S)
                except Empty:
                    pass  # IOPub not connected yet: ask again
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=IOPUB_SETTLE_S)
            except Empty:
                return
