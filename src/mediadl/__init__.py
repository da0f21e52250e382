"""mediadl: a self-hosted media downloader with a web UI."""

__version__ = "0.1.0"
