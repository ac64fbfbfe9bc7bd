"""The kernel half of the labextension (``labextension/src``), file for file: the link
(``link.ts``/``protocol.ts``), the cells (``cells.ts``/``cellsync.ts``), the saved-trace handoff
(``tracestatic.ts``), and the server extension that keeps the kernel indicator honest."""
