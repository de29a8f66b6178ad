"""symbptt: derive, prove and check the gradients of recurrent networks (BPTT)."""
__version__ = "0.1.0"
