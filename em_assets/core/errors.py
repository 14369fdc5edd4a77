"""Errors raised for bad input: each one names the file or partition and the problem."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input: `subject` is the file, tomogram or synapse at fault, `problem` what is wrong."""

    def __init__(self, subject: str | Path, problem: str) -> None:
        self.subject = str(subject)
        self.problem = problem
        super().__init__(f"{self.subject}: {problem}")
