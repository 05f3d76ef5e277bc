"""Push subscriptions and the notification outbox."""
