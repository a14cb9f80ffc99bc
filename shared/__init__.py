"""What every Brobygger service must agree on: event contracts, topics, connection settings, logging."""
