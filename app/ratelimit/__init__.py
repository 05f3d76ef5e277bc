"""Rate limits kept in the database, so every instance behind a load balancer shares them."""
