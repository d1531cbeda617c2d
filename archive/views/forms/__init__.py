"""Forms, one module per blueprint (named after it), all built on `base.ArchiveForm`."""
