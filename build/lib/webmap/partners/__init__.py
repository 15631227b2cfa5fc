"""Partners nearby: radius search over places and which categories complement each other."""
