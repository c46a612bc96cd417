"""What ends the program with exit code 2 (a wrong configuration), wherever it is found."""

from __future__ import annotations


class ConfigProblem(Exception):
    """A platform found the configuration wrong: the program ends with exit code 2."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line  # one Chinese line for the operator (no secret in it)
