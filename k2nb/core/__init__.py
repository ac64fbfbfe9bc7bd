"""The pure core: events, the turn, the stream accumulator, the transcript, the agent loop,
context fitting, request building, the tool protocol and the output-to-text pipeline.

No network, kernel or widget here; it imports nothing of k2nb but ``config`` and ``errors``.
"""
