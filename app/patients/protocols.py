"""Which protocol a patient's plan is computed from: the version they are pinned to.

A patient keeps the version they enrolled on until staff move them deliberately
(`change_version`): a new version of the rules never rewrites an existing plan by itself.
`ProtocolSource` is where protocols come from; the app keeps one in `app.state.protocols`
(the packaged files), and a test that needs a protocol of its own puts its own source there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.patients.models import Patient
from app.protocols.loader import Protocol, available_versions, load_protocol


@dataclass(frozen=True)
class ProtocolSource:
    """Protocols by name and version (None: the newest), and which versions exist.

    `configured` is the protocol new patients enrol on (settings.protocol), at
    `configured_version` (settings.protocol_version; None: the newest shipped).
    """

    configured: str
    configured_version: int | None = None
    load: Callable[[str, int | None], Protocol] = field(default=load_protocol)
    versions: Callable[[str], Sequence[int]] = field(default=available_versions)

    def enrolling(self) -> Protocol:
        """What enrolment pins: the configured protocol at the configured (or newest) version."""
        return self.load(self.configured, self.configured_version)

    def pinned(self, patient: Patient) -> Protocol:
        """The protocol and version the patient's plan follows."""
        return self.load(patient.protocol, patient.protocol_version)

    def task_codes(self) -> frozenset[str]:
        """Every task code of the protocol new patients enrol on and of its methods' protocols
        (what a clinic may name, e.g. which reminders fall back to e-mail or SMS)."""
        protocol = self.enrolling()
        return frozenset(code for p in (protocol, *protocol.method_protocols) for code in p.codes)

    def available(self, name: str) -> list[int]:
        """The versions of protocol `name`, oldest first."""
        return sorted(self.versions(name))
