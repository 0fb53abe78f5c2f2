"""OGC API exceptions (the standard's JSON exception: code + description) and their status."""


class OgcError(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
