"""Sources yield RawMessage objects in archive order, with provenance.

Only this package and ``store`` do I/O. A source is resumable: ``open_source(path)``
returns an object with ``scan(cursors)`` that yields only what comes after the cursors.
"""
