"""The networks, steps and chains of the issue-5 benchmark suite, one concern per module:

  nets.py        shared initial weights and data; the same PyTorch-style model for memograd and torch
  steps.py       a framework's training step (memograd and torch run the same code) and its phases
  numpy_mlp.py   the hand-written NumPy MLP step (the floor)
  numpy_cnn.py   the hand-written NumPy CNN step (the floor)
  chain.py       chains of small elementwise ops (W3) and very deep chains (W4)
  peak.py        the machine's float32 matmul peak and the matmul FLOPs of an MLP step
"""
