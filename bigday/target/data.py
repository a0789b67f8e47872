"""Deterministic per-tenant data: clients, a wedding-day timeline and dashboard figures."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from bigday.settings.scenario import Tenant

_FIRST = (
    "Ada",
    "Grace",
    "Noah",
    "Mia",
    "Liam",
    "Ava",
    "Oliver",
    "Isla",
    "Elijah",
    "Zoe",
    "Lucas",
    "Nora",
    "Mateo",
    "Aria",
    "Leo",
    "Ivy",
    "Ezra",
    "Luna",
    "Theo",
    "Hazel",
    "Arjun",
    "Priya",
    "Kenji",
    "Yuki",
    "Omar",
    "Leila",
    "Tomas",
    "Sofia",
    "Felix",
    "Clara",
    "Ravi",
    "Anika",
    "Jonah",
    "Esme",
    "Malik",
    "Amara",
    "Hugo",
    "Freya",
)
_LAST = (
    "Hart",
    "Lee",
    "Hartley",
    "Okafor",
    "Nguyen",
    "Silva",
    "Kowalski",
    "Moreau",
    "Haddad",
    "Brennan",
    "Ito",
    "Fischer",
    "Dubois",
    "Patel",
    "Rossi",
    "Novak",
    "Andersen",
    "Quinn",
    "Hartman",
    "Mensah",
    "Castillo",
    "Byrne",
    "Varga",
    "Lindqvist",
    "Ahmed",
    "Reyes",
    "Sato",
    "Murphy",
    "Costa",
    "Evans",
    "Walsh",
    "Kaur",
)
_VENUES = (
    "Rosewood Manor",
    "The Old Mill",
    "Lakeside Pavilion",
    "St Mary's Church",
    "Harbour Loft",
    "Willow Barn",
    "The Glasshouse",
    "Cliffside Hotel",
    "Orchard Farm",
    "City Hall",
    "The Boathouse",
    "Ivy Court",
)
_PACKAGES = ("Essentials", "Classic", "Signature", "Heirloom")
_STATUSES = ("enquiry", "booked", "planning", "final-details", "delivered")
_EVENTS = (
    ("09:00", "Hair and make-up begins"),
    ("11:30", "Photographer arrives"),
    ("12:30", "First look"),
    ("14:00", "Ceremony"),
    ("14:45", "Confetti and group photos"),
    ("15:30", "Drinks reception"),
    ("17:00", "Wedding breakfast"),
    ("19:00", "Speeches"),
    ("19:45", "First dance"),
    ("23:30", "Carriages"),
)


@dataclass(frozen=True)
class Client:
    """A couple booked with the studio."""

    id: str
    couple: str
    email: str
    wedding_date: str
    venue: str
    package: str
    status: str

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "couple": self.couple,
            "email": self.email,
            "wedding_date": self.wedding_date,
            "venue": self.venue,
            "package": self.package,
            "status": self.status,
        }


@dataclass(frozen=True)
class TimelineEvent:
    """One item on the wedding-day timeline."""

    id: str
    time: str
    title: str


@dataclass(frozen=True)
class TenantData:
    """Everything a tenant sees, generated once from its id so runs are reproducible."""

    tenant: Tenant
    clients: tuple[Client, ...]
    timeline: tuple[TimelineEvent, ...]
    next_wedding: Client

    def search(self, q: str) -> list[Client]:
        needle = q.strip().lower()
        if not needle:
            return list(self.clients)
        return [c for c in self.clients if needle in c.couple.lower() or needle in c.venue.lower()]

    def stats(self) -> dict[str, int]:
        counts = {s: 0 for s in _STATUSES}
        for c in self.clients:
            counts[c.status] += 1
        return {"clients": len(self.clients), "weddings": self.tenant.concurrent_weddings, **counts}

    def monthly_bookings(self) -> list[tuple[str, int]]:
        months = [0] * 12
        for c in self.clients:
            months[int(c.wedding_date[5:7]) - 1] += 1
        names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        return list(zip(names, months, strict=True))


def make_tenant_data(tenant: Tenant) -> TenantData:
    rng = random.Random(f"bigday-target:{tenant.id}")
    start = date(2026, 1, 1)
    clients = []
    for i in range(tenant.clients):
        a, b = rng.choice(_FIRST), rng.choice(_FIRST)
        la, lb = rng.choice(_LAST), rng.choice(_LAST)
        couple = f"{a} {la} & {b} {lb}"
        day = start + timedelta(days=rng.randrange(0, 365))
        clients.append(
            Client(
                id=f"{tenant.id}-c{i + 1:05d}",
                couple=couple,
                email=f"{a.lower()}.{la.lower()}{i}@example.com",
                wedding_date=day.isoformat(),
                venue=rng.choice(_VENUES),
                package=rng.choice(_PACKAGES),
                status=rng.choice(_STATUSES),
            )
        )
    timeline = tuple(TimelineEvent(f"{tenant.id}-e{i + 1}", t, title) for i, (t, title) in enumerate(_EVENTS))
    return TenantData(tenant, tuple(clients), timeline, clients[0])
