"""Where the explorer's scenario comes from: a file of `scenarios/` or an upload.

This module owns listing the scenario folder (top-level `*.yaml` only) and turning a file or
the bytes of an upload into the text the levers are applied to. Validation is the loader's:
a file goes through `sim.scenario.loader.load_scenario` (size cap, UTF-8, YAML, model), an upload
through the same checks on its bytes. An upload's name is only ever shown, never used as a path. No
Streamlit here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_io import MAX_BYTES

ENV_DIR = "AFTERSALES_SCENARIOS_DIR"
MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class Source:
    """A scenario's text and where it came from (shown in messages and in the CLI command)."""

    text: str
    label: str
    kind: str  # "file" or "upload"


def scenario_dir() -> Path:
    """The folder the explorer lists: `$AFTERSALES_SCENARIOS_DIR`, else `scenarios/` of the
    project (next to the `sim` package), else of the working directory."""
    configured = os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    beside = Path(__file__).resolve().parents[2] / "scenarios"
    return beside if beside.is_dir() else Path.cwd() / "scenarios"


def scenario_files(folder: Path) -> list[Path]:
    """The top-level `*.yaml` files of ``folder`` that are scenarios, by name (subfolders hold
    other files; a risk register such as `risks.yaml` has a `base` and is not one)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if p.is_file() and not _refers_to_base(p))


def _refers_to_base(path: Path) -> bool:
    """Whether a YAML file is a document on a base scenario (a register, a stress file): it has
    a top-level `base:` key. Read as text: a listing must not fail on a broken file."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return any(line.startswith("base:") for line in handle)
    except OSError:
        return False


def display_path(path: Path) -> str:
    """A path as the CLI user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_file(path: Path) -> tuple[Source, Scenario]:
    """Load a scenario file: validated by the loader, then its text for the levers.

    Raises:
        ScenarioError: From the loader, naming file, line and key path.
    """
    label = display_path(path)
    scenario = load_scenario(path)
    text = path.read_bytes()[: MAX_BYTES + 1].decode("utf-8-sig")
    return Source(text, label, "file"), scenario


def upload_label(name: str) -> str:
    """An upload's name for messages: the last path part, at most `MAX_NAME` characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload.yaml"
    return base[:MAX_NAME]


def read_upload(raw: bytes, name: str) -> tuple[Source, Scenario]:
    """Validate an uploaded scenario with the file rules: size cap, UTF-8, then the loader.

    Raises:
        ScenarioError: Naming the upload, the line and the key path.
    """
    label = upload_label(name)
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(label, None, "", f"the file is {len(raw):,} bytes; scenario "
                                     f"files are limited to {MAX_BYTES:,} bytes (1 MiB)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError([Problem(label, raw[: err.start].count(b"\n") + 1, "",
                                     "not UTF-8 text (save the file as UTF-8)")]) from None
    return Source(text, label, "upload"), load_scenario_text(text, label)
