"""The gallery-dl engine. gallery-dl is GPL-2.0-only, so it runs as a separate program (its
command line, a config file this engine writes, JSON on stdout) and is never imported:
mediadl's own code stays MIT."""
