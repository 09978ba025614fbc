"""The ticketgate domain: storage and use cases, free of HTTP and of every dialect."""
