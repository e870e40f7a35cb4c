"""Answer a few real support questions with residency, on the bundled catalog."""

from __future__ import annotations

from datetime import UTC, datetime

import residency
from residency.catalog import stated


def main() -> None:
    """Print the answers, question by question."""
    policy = residency.default_policy()
    catalog = policy.catalog
    print(f"Catalog {catalog.id}: {catalog.title}, updated {catalog.source.updated}\n")

    questions = [
        ("A customer in Hoa Kỳ signs up: where is the account stored?", "Hoa Kỳ", None),
        ("And a customer in Anh Quốc?", "Anh Quốc", None),
        ("Account acme-gmbh, Germany: which data center is its primary?", "Germany", "acme-gmbh"),
        ("A customer in New Caledonia (FR-NC)?", "FR-NC", None),
        ("A customer in Georgia, USA (US-GA)?", "US-GA", None),
    ]
    for question, location, account in questions:
        placement = policy.assign(location, account_id=account)
        print(f"Q: {question}")
        print(
            f"A: {placement.location.country} -> region {placement.region} "
            f"(rule {placement.rule.id!r}: {placement.rule.title})"
        )
        for position, dc in enumerate(placement.data_centers, start=1):
            print(
                f"   {position}. {dc.id:<20} {dc.provider.legal_name:<26} "
                f"location: {stated(dc.location)}"
            )
        print()

    print("Q: Before Brexit, was a UK customer's data in the EU region?")
    before = policy.assign("GB", at=datetime(2019, 6, 1, tzinfo=UTC))
    print(f"A: No: region {before.region} by rule {before.rule.id!r}, as today.\n")

    for question, location in [
        ("Q: A customer writes 'Korea'. Where does the account go?", "Korea"),
        ("Q: A customer writes 'châu Âu' (Europe).", "châu Âu"),
        ("Q: A customer in Antarctica?", "AQ"),
    ]:
        print(question)
        try:
            policy.assign(location)
        except residency.ResidencyError as error:
            print(f"A: refused, never guessed: {type(error).__name__}: {error}\n")


if __name__ == "__main__":
    main()
