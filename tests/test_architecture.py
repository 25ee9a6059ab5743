"""The package's structure holds its idea: the analysis side never imports torch or training code, every
dependency points one way down the pipeline, and no module imports itself back through another."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "toyemerge"

# The pipeline, lowest first: a part may import its own modules and those of lower layers, never a
# higher layer's (function-level imports included). The analysis side is everything below `training`
# except data and models.
LAYERS = [
    {"errors", "io"},
    {"schema", "data"},
    {"config", "store", "folder"},
    {"models", "metrics"},
    {"analysis"},
    {"plots"},
    {"explorer"},
    {"training", "rebuild"},
    {"train", "export", "figures", "explore", "suggest_cutoffs", "rescore", "launch"},  # entry points, Hydra hooks
]
ANALYSIS_SIDE = {"errors", "io", "schema", "config", "folder", "metrics", "analysis", "plots", "explorer", "rebuild",
                 "figures", "explore", "rescore", "suggest_cutoffs", "launch", "export"}


def modules() -> dict[str, Path]:
    """{dotted name: file} of every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, name: str, top_level_only: bool) -> set[str]:
    """The toyemerge modules `path` imports (at import time only, or anywhere in it)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found, known = set(), modules()
    package = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("toyemerge")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package `level - 1` steps up
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base.startswith("toyemerge"):
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return found


def part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "toyemerge"


def layer(name: str) -> int:
    return next(i for i, parts in enumerate(LAYERS) if name in parts)


def test_every_part_of_the_package_has_a_layer():
    parts = {part(m) for m in modules()} - {"toyemerge", "conf"}
    assert parts <= set().union(*LAYERS), parts - set().union(*LAYERS)


def test_dependencies_point_one_way():
    wrong = []
    for name, path in modules().items():
        if part(name) in ("toyemerge", "conf"):
            continue
        for target in imports(path, name, top_level_only=False):
            if part(target) not in ("toyemerge", part(name)) and layer(part(target)) > layer(part(name)):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a module graph: its strongly connected components of more than one module
    (Tarjan's algorithm)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in graph:
                continue
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back():
    assert cycles({name: imports(path, name, top_level_only=True) for name, path in modules().items()}) == []


def test_the_checks_can_fail(tmp_path):
    """A cycle is found; an import inside a function counts for the layers, not for the cycles."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    module = tmp_path / "m.py"
    module.write_text("import numpy\nfrom toyemerge.metrics import base\n\ndef f():\n    import toyemerge.training\n")
    assert imports(module, "toyemerge.io", top_level_only=True) == {"toyemerge.metrics.base"}
    assert imports(module, "toyemerge.io", top_level_only=False) == {"toyemerge.metrics.base", "toyemerge.training"}
    assert layer(part("toyemerge.training.sweep")) > layer(part("toyemerge.metrics.base"))


@pytest.mark.slow
def test_the_analysis_side_imports_no_torch_and_no_training_code():
    """Importing every module of the analysis side (and running a config check) loads neither torch nor
    toyemerge.training / toyemerge.models: re-scoring and drawing run where PyTorch is not installed."""
    names = [n for n in modules() if part(n) in ANALYSIS_SIDE and not n.endswith("__main__")]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            "from toyemerge.config import compose, require_experiment\n"
            "require_experiment(compose('+exp=mnist'))\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')\n"
            "             or m.startswith(('toyemerge.training', 'toyemerge.models')))\n"
            "print(len(bad), bad[:5])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("0 []"), proc.stdout
    assert len(names) > 40
