"""Typed library errors. The CLI turns every CelvaultError into `Error: ...` and exit 1."""


class CelvaultError(Exception):
    """Base class of every error a user can cause or fix."""


class CatalogError(CelvaultError):
    """The catalogue is missing, unreadable or inconsistent."""


class CatalogNotFound(CatalogError):
    def __init__(self, path):
        super().__init__(f"no catalogue at {path}: run `celvault init` first (or pass --catalog)")
        self.path = path


class CatalogReadOnly(CatalogError):
    """A writing command on a catalogue this process may not write."""

    def __init__(self, path, command, reason):
        super().__init__(f"catalogue {path} is read-only for celvault {command}: {reason} "
                         "(readers such as status, query and export still work)")
        self.path = path


class CatalogBusy(CatalogError):
    """Another writer holds the catalogue's writer lock (and waiting was not wanted)."""

    def __init__(self, path, holder):
        super().__init__(f"another {holder} is writing catalogue {path}; try again when it is done "
                         "(without --no-wait, celvault waits for it)")
        self.path = path
        self.holder = holder


class CatalogConflict(CatalogError):
    """Lance refused a commit because another process changed the table at the same time."""


class IngestError(CelvaultError):
    """An input could not be ingested; carries the offending path."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class ConfigError(CelvaultError):
    """A configuration file or option is invalid."""


class UnknownStage(CelvaultError):
    def __init__(self, name, known):
        super().__init__(f"unknown stage {name!r}; known stages: {', '.join(known)}")


class UnknownBackend(CelvaultError):
    def __init__(self, kind, name, known):
        super().__init__(f"unknown {kind} backend {name!r}; known: {', '.join(sorted(known))}")


class UnknownEpisode(CelvaultError):
    def __init__(self, name, known, ambiguous=False):
        listed = ", ".join(known[:20]) or "none ingested yet"
        if ambiguous:
            super().__init__(f"episode {name!r} is ambiguous; use one of the ids: {listed}")
        else:
            super().__init__(f"unknown episode {name!r}; known episodes: {listed}")


class UnknownCharacter(CelvaultError):
    def __init__(self, name, known, ambiguous=False):
        listed = ", ".join(known[:30]) or "none yet (run `celvault run cluster`)"
        what = "is ambiguous; it could be" if ambiguous else "is not a known character; known:"
        super().__init__(f"character {name!r} {what} {listed}")


class OutputError(CelvaultError):
    """An output (export folder, query images, contact sheet) that must not or cannot be written."""


class UnsafeOutput(OutputError):
    """Writing there could destroy data: a catalogue, the working folder, a folder not made by celvault."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)


class OutputNotWritable(OutputError):
    """The output's folder cannot be made or written (a file in the way, no permission, disk full)."""

    def __init__(self, path, reason):
        super().__init__(f"cannot write {path}: {reason}")
        self.path = str(path)
