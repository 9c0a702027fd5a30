"""Load flow files (TOML) into validated Flow models, failing loudly and precisely."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from flows.models import Flow
from flows.variants import VariantsError, apply_variants, load_variants

BUNDLED_DIR = Path(__file__).parent / "bundled"


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class FlowFileError(Exception):
    """One or more flow files are broken. Each problem names the file, the field and the issue."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _field_path(loc: Iterable[int | str]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "(file)"


# A check across fields (a model validator) names its field at the start of its message.
_NAMED_FIELD = re.compile(r"^(?P<field>[a-z_]+(?:\.[a-z_]+)*): (?P<message>.+)$", re.DOTALL)


def _problems_from(path: Path, error: ValidationError) -> Iterator[Problem]:
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        field = _field_path(item["loc"])
        if (named := _NAMED_FIELD.match(message)) is not None:
            prefix = "" if field == "(file)" else f"{field}."
            field, message = prefix + named["field"], named["message"]
        yield Problem(path, field, message)


def load_flow_file(path: Path) -> Flow:
    """Read and validate one flow file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FlowFileError([Problem(path, "(file)", f"cannot read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise FlowFileError([Problem(path, "(file)", "is not UTF-8 text")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise FlowFileError([Problem(path, "(syntax)", f"invalid TOML: {exc}")]) from exc
    try:
        flow = Flow.model_validate(raw)
    except ValidationError as exc:
        raise FlowFileError(list(_problems_from(path, exc))) from exc
    if path.stem != flow.id:
        raise FlowFileError([Problem(path, "id", f"'{flow.id}' must match the file name")])
    # The bundled label variants apply to every flow; a flow folder's own add to them.
    folders = dict.fromkeys([BUNDLED_DIR, path.parent])
    try:
        variants = load_variants(folders)
    except VariantsError as exc:
        raise FlowFileError([Problem(path, "variants", str(exc))]) from exc
    return flow.model_copy(update={"scale": apply_variants(flow.scale, variants)})


def load_flow_dir(directory: Path) -> dict[str, Flow]:
    """Load every `*.toml` in a directory; report all broken files at once."""
    if not directory.is_dir():
        raise FlowFileError([Problem(directory, "(directory)", "does not exist")])
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            flow = load_flow_file(path)
        except FlowFileError as exc:
            problems.extend(exc.problems)
            continue
        flows[flow.id] = flow
    if problems:
        raise FlowFileError(problems)
    return flows


def load_bundled_flows() -> dict[str, Flow]:
    return load_flow_dir(BUNDLED_DIR)


def load_flows(user_dir: Path | None = None) -> dict[str, Flow]:
    """The bundled flows, overridden or extended by the files in `user_dir`."""
    flows = load_bundled_flows()
    if user_dir is not None:
        flows.update(load_flow_dir(user_dir))
    return flows
