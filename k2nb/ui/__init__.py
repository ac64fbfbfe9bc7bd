"""Every renderer of a run: the live view (widget), the static trace, the terminal, exports, the
conversation log, the headless cells export and the recording's cell output."""
