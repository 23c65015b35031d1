"""The install: locked versions with hashes, runtime apart from the development and test tools."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REQUIREMENTS = ROOT / "requirements"


def declared(*extras: str) -> list[Requirement]:
    lines = list(PYPROJECT["dependencies"])
    for extra in extras:
        lines += PYPROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def pinned(lock: str) -> dict[str, str]:
    """name -> version of every `name==version` in a lock file, each checked to carry hashes."""
    text = (REQUIREMENTS / lock).read_text(encoding="utf-8")
    pins = {}
    for entry in re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2]):
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", entry)
        if match:
            assert "--hash=sha256:" in entry, f"{lock}: {match[1]} has no hash"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("prod.txt", ()), ("run.txt", ("dev",)), ("test.txt", ("dev", "test", "lint"))],
)
def test_every_declared_dependency_is_locked_at_a_version_its_range_allows(lock, extras):
    pins = pinned(lock)
    for requirement in declared(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{lock}: run make upgrade"
        assert requirement.specifier.contains(pins[name]), (
            f"requirements/{lock} pins {name}=={pins[name]} outside {requirement}: run make upgrade"
        )


def test_the_runtime_lock_has_no_development_or_test_tool():
    runtime = pinned("prod.txt")
    for requirement in declared("dev", "test", "lint"):
        if canonicalize_name(requirement.name) not in {
            canonicalize_name(r.name) for r in declared()
        }:
            assert canonicalize_name(requirement.name) not in runtime, requirement.name
    assert "honcho" in pinned("run.txt") and "honcho" not in runtime


def test_locks_agree_on_the_versions_they_share():
    full = pinned("test.txt")
    for lock in ("prod.txt", "run.txt"):
        for name, version in pinned(lock).items():
            assert full.get(name) == version, (
                f"{lock} pins {name}=={version}, test.txt {full.get(name)}"
            )


def test_every_dependency_has_an_upper_bound_below_its_next_major_version():
    for requirement in declared(*PYPROJECT["optional-dependencies"]):
        uppers = [
            spec for spec in requirement.specifier if spec.operator in ("<", "<=", "~=", "==")
        ]
        assert uppers, f"{requirement} has no upper bound"
