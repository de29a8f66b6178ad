"""A proof: the certificates `prove` was asked for (unrolled, inductive or both), one type
whatever the kind.

Plain data, as a Certificate: `symbptt.prove` returns it, and it imports nothing heavy (the
certificates are built elsewhere: certificate.py, inductive.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from .certificate import Certificate


@dataclass(frozen=True)
class Proof:
    """The unrolled certificate (at one T) and the inductive one (for every T), each None
    when not asked for.

    Iterating yields the certificates asked for, in the CLI's order (unrolled, then
    inductive), so `unrolled, inductive = symbptt.prove(m, T=3)` unpacks both, and
    `[cert] = symbptt.prove(m, T=3, kind="unrolled")` the one. There is no len() nor
    truth value beyond an object's: ask `.proven`."""
    unrolled: Certificate | None = None
    inductive: Certificate | None = None

    def __post_init__(self):
        if self.unrolled is None and self.inductive is None:
            raise ValueError("a Proof holds at least one certificate")
        for kind in ("unrolled", "inductive"):
            c = getattr(self, kind)
            if c is not None and c.kind != kind:
                raise ValueError(f"the {kind} certificate is a {c.kind} one")

    @property
    def certificates(self) -> tuple:
        """The certificates asked for, in the CLI's order: unrolled, then inductive."""
        return tuple(c for c in (self.unrolled, self.inductive) if c is not None)

    @property
    def kind(self) -> str:
        """unrolled, inductive or both: as `prove`'s kind (and the CLI's --kind)."""
        return "both" if len(self.certificates) == 2 else self.certificates[0].kind

    @property
    def model(self) -> str:
        return self.certificates[0].model

    @property
    def proven(self) -> bool:
        """True only when every certificate asked for is proven (the CLI's exit 0)."""
        return all(c.proven for c in self.certificates)

    def __iter__(self) -> Iterator[Certificate]:
        return iter(self.certificates)

    def __str__(self) -> str:
        """One line a certificate: the model, its kind and scope, its verdict, its size
        (the CLI prints each in full: symbptt.cli.views.certificate_text)."""
        lines = []
        for c in self.certificates:
            where = "for every T" if c.kind == "inductive" else f"at T = {c.T}"
            verdict = "PROVEN" if c.proven else "UNDECIDED" if c.undecided else "NOT PROVEN"
            unit = "identities" if c.kind == "inductive" else "entries"
            bad = sum(g.entries - g.proven for g in c.groups)
            size = f"{bad} of {c.entries} {unit} not proven" if bad else f"{c.entries} {unit}"
            lines.append(f"{c.model}: {c.kind} certificate {where}: {verdict} ({size})")
        return "\n".join(lines)
