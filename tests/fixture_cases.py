"""The fixture convention: cases under fixtures/<rule>/, ``// want`` comments, goldens.

A line that expects a finding of the folder's rule carries ``// want "regexp"`` (several strings:
several findings), followed for fixable rules by the expected fix: ``fix:safe``, ``fix:unsafe``,
``fix:display`` or ``fix:none``, and by where it bites when that is not ``leak``:
``bite:test-failure`` or ``bite:process-lifetime``. Every other line must produce no finding of
that rule.
``<case>.go.golden`` is the file after every offered fix (safe and unsafe); no golden, no fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

_WANT = re.compile(r"//\s*want\s+(.*)$")
_EXPECTATION = re.compile(
    r'(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)(?:\s+fix:(safe|unsafe|display|none))?'
    r"(?:\s+bite:(leak|test-failure|process-lifetime))?"
)


@dataclass(frozen=True)
class Want:
    line: int
    pattern: str
    fix: str | None  # "safe", "unsafe", "display", "none", or None when not stated
    bite: str = "leak"


@dataclass(frozen=True)
class Case:
    rule: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.path.relative_to(FIXTURES / self.rule).as_posix()}"

    @property
    def golden(self) -> Path:
        return self.path.with_name(self.path.name + ".golden")

    @property
    def expects_syntax_error(self) -> bool:
        return self.path.name.startswith("syntax_error")


SHARED = "internal"  # fixtures/internal/: Go helpers the leak tests share, not a rule


def rule_dirs() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and p.name != SHARED
    )


def cases() -> list[Case]:
    out = []
    for folder in rule_dirs():
        for path in sorted(folder.rglob("*.go")):
            if not path.name.endswith("_test.go"):
                out.append(Case(folder.name, path))
    return out


def parse_wants(data: bytes) -> list[Want]:
    wants = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        match = _WANT.search(line)
        if not match:
            continue
        expectations = list(_EXPECTATION.finditer(match.group(1)))
        if not expectations:
            raise ValueError(f"line {number}: a want comment without a quoted regexp")
        for exp in expectations:
            pattern = exp.group(1) if exp.group(1) is not None else exp.group(2)
            bite = exp.group(4) or "leak"
            wants.append(Want(number, pattern.replace('\\"', '"'), exp.group(3), bite))
    return wants
