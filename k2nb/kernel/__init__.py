"""Everything that touches the live IPython shell: running code, output capture, the state diff,
variable summaries, prompt context and secrets."""
