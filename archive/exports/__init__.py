"""Exports other archives and tools read: one module per format, each building its file from the records a reader
may see (every builder takes the reader and asks access.py), so a download link, the API and `archive export`
share one builder per format. Reads only: what takes a file in (a bag) goes through a service.
"""
