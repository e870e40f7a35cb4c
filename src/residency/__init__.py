"""residency: where a customer's data lives, whether it may move, and who can see it."""
