"""The ways in: the `moedeplan` command line now; the HTTP API, web pages and storage later."""
