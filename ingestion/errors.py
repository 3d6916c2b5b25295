"""Errors that reject a whole delivery; their text is German, for the office and agencies."""


class DeliveryRejected(Exception):
    """The whole file is rejected; nothing of it is loaded.

    `line` and `column` name the place where one exists.
    """

    def __init__(self, file_name: str, message: str, line: int | None = None,
                 column: str | None = None, value: str | None = None, details: str = ""):
        self.file_name = file_name
        self.details = details      # e.g. every bad line, for the archived error report
        self.reason = message
        self.line = line
        self.column = column
        self.value = value
        super().__init__(self.describe())

    def describe(self) -> str:
        where = [f"Datei {self.file_name}"]
        if self.line is not None:
            where.append(f"Zeile {self.line}")
        if self.column is not None:
            where.append(f"Spalte {self.column}")
        if self.value is not None:
            where.append(f"Wert {self.value!r}")
        return f"{', '.join(where)}: {self.reason}"
