"""One exception family: raised deep, turned into one line and exit 2 in cli/ only."""


class SymbpttError(Exception):
    """Bad input or usage: the CLI prints the message on one line and exits 2."""


class UnknownModel(SymbpttError):
    pass


class BadValues(SymbpttError):
    pass


class TooExpensive(SymbpttError):
    """A symbolic request whose estimated cost is far beyond the budget."""
