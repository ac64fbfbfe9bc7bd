"""The HTTP edge: the provider client (with the SSE decoder), the recording format, the recorder."""
