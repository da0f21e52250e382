"""The forum engine: a thread page by page, the full-size image behind every link."""
