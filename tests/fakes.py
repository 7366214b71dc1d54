"""Stand-ins the shell's unit tests share."""

from __future__ import annotations


class FakeConsole:
    """The supervisor's dialog: keeps what it is told; answers questions from ``answers``."""

    def __init__(self, answers=()) -> None:
        self.answers = list(answers)
        self.out: list[str] = []

    def write(self, text):
        self.out.append(text)

    def ask_yes_no(self, question, default=True):
        self.out.append(question)
        return self.answers.pop(0)
