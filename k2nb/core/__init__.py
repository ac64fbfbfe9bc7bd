"""The pure core: events, the turn, the stream accumulator, the transcript, the agent loop,
the K2 model table, context fitting, request building, figures for vision models, the tool protocol
and the output-to-text pipeline.

No network, kernel or widget here; it imports nothing of k2nb but ``config`` and ``errors``.
"""
