"""What tests and benchmarks use to drive k2nb as its users do (benchmarks import it; tests never import benchmarks).

- kernel: the one way to start a Jupyter kernel (jupyter_client driver, nbclient runs) and read its iopub.
- live: the one reader of the live view's traffic (widget batches, a late tab's catch-up).
- tab: the stand-in for a notebook tab running the labextension.
- server: the loopback K2-shaped server playing a script.
- toy: the toy engine driven by a small agent loop (code run with exec, or k2nb's own tool box).
- traffic, workload, long_run: what one %%k2 cell sends for a workload; a 300-call run.
- client, stream, runs, hostile, outputs: the pure tests' fixtures (a scripted model client, chunk
  streams, small event runs, hostile markup, output text).
"""
