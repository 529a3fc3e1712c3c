"""The rules of the house (ARCHITECTURE.md, issue 10), checked from the code's own imports and definitions.

Every rule is a checker over the parsed modules of federation/ and node/ (node/migrations excluded) that
answers {offender: message}. An offender is a stable string: a module path, or `path:function` for the
rules about functions. The imports considered are every import statement, wherever it is, except for
the cycle rule, which follows what runs when a module is loaded: module-level imports outside
`if TYPE_CHECKING:`; `from a.b import c` is an edge to a.b.c when that is a module, else to a.b, and
importing a.b.c also loads the packages a and a.b.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_TOP_LEVEL_MODULES = 4
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
BANNER_ABOVE_LINES = 300
NOT_FEATURES = frozenset({"core", "web", "activitypub", "cli", "migrations"})
WEB_FACING_FOLDERS = frozenset({"web", "activitypub", "cli"})
WEB_FACING_PREFIXES = ("pages", "routes", "handlers", "middleware")
FEDERATION_MUST_NOT_IMPORT = frozenset({"node", "starlette", "tortoise"})
BANNER = re.compile(r"#\s*([-=*#~_─━═])\1{2,}")

Found = dict[str, str]

# Today's violations, one entry a line. This table must only shrink: the test fails on a violation
# that is not listed and on a listed entry that no longer violates, so whoever fixes one deletes its
# line here. It is empty when issue 10 ("One folder per feature") is done.
KNOWN: dict[str, set[str]] = {}


@dataclass(frozen=True)
class Import:
    name: str  # absolute dotted name: `from a.b import c` gives a.b.c, `import a.b` gives a.b
    line: int
    scope: str  # qualified name of the enclosing function or class, "" at module level
    type_only: bool  # under `if TYPE_CHECKING:`


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    source: str
    tree: ast.Module
    imports: tuple[Import, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))

    @property
    def lines(self) -> int:
        return len(self.source.splitlines())


@dataclass(frozen=True)
class Tree:
    modules: dict[str, Module]

    def resolve(self, name: str) -> str | None:
        """The project module an imported name lands in (its longest prefix that is a module), if any."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.modules:
                return candidate
        return None

    def in_tree(self, top: str) -> Iterator[Module]:
        return (m for name, m in sorted(self.modules.items()) if m.parts[0] == top)


def module_name(parts: tuple[str, ...]) -> str:
    names = list(parts[:-1]) + ([] if parts[-1] == "__init__.py" else [parts[-1].removesuffix(".py")])
    return ".".join(names)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(tree: ast.Module, name: str, is_package: bool) -> tuple[Import, ...]:
    package = name if is_package else name.rpartition(".")[0]
    found: list[Import] = []

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, scope: str, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, scope, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node)
            found.extend(Import(base if alias.name == "*" else f"{base}.{alias.name}", node.lineno, scope, type_only)
                         for alias in node.names)
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.body:
                visit(child, scope, True)
            for child in node.orelse:
                visit(child, scope, type_only)
            return
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = f"{scope}.{node.name}" if scope else node.name
        for part in ast.iter_child_nodes(node):
            visit(part, inner, type_only)

    visit(tree, "", False)
    return tuple(found)


def load(root: Path) -> Tree:
    modules: dict[str, Module] = {}
    for top in ("federation", "node"):
        for file in sorted((root / top).rglob("*.py")):
            parts = file.relative_to(root).parts
            if parts[:2] == ("node", "migrations"):
                continue
            source = file.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=str(file))
            name = module_name(parts)
            imports = imports_of(tree, name, parts[-1] == "__init__.py")
            modules[name] = Module(name, "/".join(parts), source, tree, imports)
    return Tree(modules)


@functools.cache
def project() -> Tree:
    return load(ROOT)


def functions(module: Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every def in the module with its qualified name (Class.method, outer.inner)."""

    def walk(node: ast.AST, scope: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{scope}.{child.name}" if scope else child.name
                if not isinstance(child, ast.ClassDef):
                    yield inner, child
            yield from walk(child, inner)

    return walk(module.tree, "")


def feature_of(module: Module) -> str | None:
    parts = module.parts
    if parts[0] == "node" and len(parts) >= 3 and parts[1] not in NOT_FEATURES:
        return parts[1]
    return None


def is_web_facing(module: Module) -> bool:
    parts = module.parts
    if parts[0] != "node" or len(parts) < 2:
        return False
    if parts[1] == "app.py" or parts[1] in WEB_FACING_FOLDERS:
        return True
    return feature_of(module) is not None and parts[-1].startswith(WEB_FACING_PREFIXES)


def top_package(name: str) -> str:
    return name.partition(".")[0]


def federation_imports(tree: Tree) -> Found:
    found: Found = {}
    for module in tree.in_tree("federation"):
        bad = [i for i in module.imports if top_package(i.name) in FEDERATION_MUST_NOT_IMPORT]
        if bad:
            found[module.path] = f"{module.path}:{bad[0].line} imports {bad[0].name} (federation/ stands alone)"
    return found


def service_imports(tree: Tree) -> Found:
    """Outside the web-facing modules, nothing imports Starlette or a web-facing module."""
    found: Found = {}
    for module in tree.in_tree("node"):
        if is_web_facing(module):
            continue
        for imp in module.imports:
            target = tree.resolve(imp.name)
            if top_package(imp.name) == "starlette" or (target and is_web_facing(tree.modules[target])):
                found[module.path] = (f"{module.path}:{imp.line} imports {imp.name}, but is no web-facing "
                                      "module (pages, routes, handlers, middleware, web/, activitypub/, cli/)")
                break
    return found


def core_imports(tree: Tree) -> Found:
    found: Found = {}
    for module in tree.in_tree("node"):
        if module.parts[1] != "core":
            continue
        for imp in module.imports:
            target = tree.resolve(imp.name)
            feature = feature_of(tree.modules[target]) if target else None
            if feature or top_package(imp.name) == "starlette":
                what = f"feature ({feature})" if feature else "Starlette"
                found[module.path] = f"{module.path}:{imp.line} imports {imp.name}: node/core imports no {what}"
                break
    return found


def load_graph(tree: Tree) -> dict[str, set[str]]:
    """Module -> the project modules that loading it loads. A module's own packages have begun loading
    before it runs, so they count only when it imports a name from one of them: a package whose
    __init__ re-exports its submodules is no cycle, a submodule taking a name from that __init__ is."""
    graph: dict[str, set[str]] = {name: set() for name in tree.modules}
    for name, module in tree.modules.items():
        own = {".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 1)}
        for imp in module.imports:
            target = tree.resolve(imp.name)
            if imp.scope or imp.type_only or target is None:
                continue
            parts = target.split(".")
            loaded = {".".join(parts[:end]) for end in range(1, len(parts) + 1)} - (own - {target})
            graph[name] |= {t for t in loaded if t in tree.modules and t != name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively: the groups of modules that can reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    components.append(sorted(component))
            elif step not in index:
                index[step] = low[step] = len(index)
                stack.append(step)
                on_stack.add(step)
                work.append((step, iter(sorted(graph[step]))))
            elif step in on_stack:
                low[node] = min(low[node], index[step])
    return components


def cycle_through(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """One shortest path start -> ... -> start inside a component (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for step in sorted(graph[node] & within):
                if step == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if step not in came_from:
                    came_from[step] = node
                    following.append(step)
        frontier = following
    return [start]


def import_cycles(tree: Tree) -> Found:
    graph = load_graph(tree)
    found: Found = {}
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        path = " -> ".join(cycle_through(graph, component[0], set(component)))
        for name in component:
            module = tree.modules[name]
            found[module.path] = f"{module.path} is in an import cycle of {len(component)} modules: {path}"
    return found


def function_imports(tree: Tree) -> Found:
    found: Found = {}
    for name, module in sorted(tree.modules.items()):
        for imp in module.imports:
            key = f"{module.path}:{imp.scope}"
            if imp.scope and not imp.type_only and key not in found:
                found[key] = f"{module.path}:{imp.line} imports {imp.name} inside {imp.scope}"
    return found


def top_level_modules(tree: Tree) -> Found:
    top = sorted(m.path for m in tree.in_tree("node") if len(m.parts) == 2)
    if len(top) <= MAX_TOP_LEVEL_MODULES:
        return {}
    return {"node/": f"node/ has {len(top)} top-level modules (at most {MAX_TOP_LEVEL_MODULES}): {', '.join(top)}"}


def long_modules(tree: Tree) -> Found:
    return {m.path: f"{m.path} has {m.lines} lines (at most {MAX_MODULE_LINES})"
            for m in tree.modules.values() if m.lines > MAX_MODULE_LINES}


def long_functions(tree: Tree) -> Found:
    found: Found = {}
    for module in tree.modules.values():
        for qualname, node in functions(module):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found[f"{module.path}:{qualname}"] = (f"{module.path}:{node.lineno} {qualname} has {length} lines "
                                                      f"(at most {MAX_FUNCTION_LINES})")
    return found


def banners(tree: Tree) -> Found:
    """A section banner (`# ------ name`, `# ====`) in a long module means it is two modules."""
    found: Found = {}
    for module in tree.modules.values():
        if module.lines <= BANNER_ABOVE_LINES:
            continue
        for token in tokenize.generate_tokens(io.StringIO(module.source).readline):
            if token.type == tokenize.COMMENT and not token.line[: token.start[1]].strip() and BANNER.match(token.string):
                found[module.path] = (f"{module.path}:{token.start[0]} has a section banner in {module.lines} "
                                      f"lines (over {BANNER_ABOVE_LINES}): split it into modules")
                break
    return found


def names_response(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name.endswith("Response")


def names_union(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in {"Union", "Optional"}


def union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return union_members(node.left) + union_members(node.right)
    return [node]


def response_in_union(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    for node in ast.walk(annotation):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            if any(names_response(member) for member in union_members(node)):
                return True
        if isinstance(node, ast.Subscript) and names_union(node.value):
            members = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if any(names_response(member) for member in members):
                return True
    return False


def response_unions(tree: Tree) -> Found:
    """A page refusal is raised, never returned: no function returns `X | Response`."""
    found: Found = {}
    for module in tree.in_tree("node"):
        for qualname, node in functions(module):
            if node.returns is not None and response_in_union(node.returns):
                found[f"{module.path}:{qualname}"] = (f"{module.path}:{node.lineno} {qualname} returns "
                                                      f"{ast.unparse(node.returns)}: raise the refusal instead")
    return found


def is_response_guard(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"):
        return False
    if len(node.args) != 2:
        return False
    kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
    return any(names_response(kind) for kind in kinds)


def walk_own(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """The nodes under these, not descending into nested defs (they are scopes of their own)."""
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        yield node
        yield from walk_own(list(ast.iter_child_nodes(node)))


def response_guards(tree: Tree) -> Found:
    """No `isinstance(x, Response)` guard: refusals are exceptions, handled once."""
    found: Found = {}
    for module in tree.in_tree("node"):
        scopes: list[tuple[str, ast.AST]] = [*functions(module), ("<module>", module.tree)]
        for qualname, scope in scopes:
            body = [scope] if qualname == "<module>" else list(ast.iter_child_nodes(scope))
            guards = [n for n in walk_own(body) if isinstance(n, ast.Call) and is_response_guard(n)]
            if guards:
                found[f"{module.path}:{qualname}"] = (f"{module.path}:{guards[0].lineno} {qualname} checks "
                                                      f"isinstance(..., Response) {len(guards)} time(s)")
    return found


RULES: dict[str, Callable[[Tree], Found]] = {
    "federation_imports": federation_imports,
    "service_imports": service_imports,
    "core_imports": core_imports,
    "import_cycles": import_cycles,
    "function_imports": function_imports,
    "top_level_modules": top_level_modules,
    "long_modules": long_modules,
    "long_functions": long_functions,
    "banners": banners,
    "response_unions": response_unions,
    "response_guards": response_guards,
}


def ratchet(found: Found, known: set[str]) -> list[str]:
    """What is wrong with the table: new violations, and listed entries that have been fixed."""
    problems = [found[key] for key in sorted(found.keys() - known)]
    problems += [f"{key} is fixed: delete it from KNOWN in tests/test_layers.py" for key in sorted(known - found.keys())]
    return problems


def check(rule: str) -> None:
    problems = ratchet(RULES[rule](project()), KNOWN.get(rule, set()))
    assert not problems, f"rule {rule}:\n" + "\n".join(problems)


def test_federation_imports_nothing_from_node_starlette_or_tortoise() -> None:
    check("federation_imports")


def test_only_web_facing_modules_import_starlette_or_each_other() -> None:
    check("service_imports")


def test_core_imports_no_feature_and_no_starlette() -> None:
    check("core_imports")


def test_no_import_cycles() -> None:
    check("import_cycles")


def test_no_function_level_imports() -> None:
    check("function_imports")


def test_node_has_few_top_level_modules() -> None:
    check("top_level_modules")


def test_no_module_over_500_lines() -> None:
    check("long_modules")


def test_no_function_over_80_lines() -> None:
    check("long_functions")


def test_no_section_banner_in_a_module_over_300_lines() -> None:
    check("banners")


def test_no_function_returns_a_union_with_response() -> None:
    check("response_unions")


def test_no_isinstance_response_guard() -> None:
    check("response_guards")


def test_known_names_only_rules_that_exist() -> None:
    assert set(KNOWN) <= set(RULES), set(KNOWN) - set(RULES)
    assert all(KNOWN.values()), "a rule with no violation left is deleted from KNOWN"


# Each checker can fail: a small tree in which every rule is broken once, next to code that is allowed.

LONG_FUNCTION = "def long() -> None:\n" + "    x = 1\n" * 80
EDGE_FUNCTION = "@decorate\n@decorate\ndef edge() -> None:\n" + "    x = 1\n" * 79
PAGES_GUARDS = '''\
from typing import TYPE_CHECKING, Optional

from starlette.responses import Response


class Page:
    def render(self, x: object) -> None:
        import json
        if isinstance(x, (int, Response)):
            return None


def refuse() -> "User | Response": ...
def maybe() -> Optional[Response]: ...
def fine() -> Response: ...
def typed() -> None:
    if TYPE_CHECKING:
        import json
    y = isinstance(1, int)


if isinstance(1, Response):
    pass
'''
BROKEN = {
    "federation/__init__.py": "",
    "federation/wire.py": "import json\nfrom node.core import kernel\n",
    "federation/clean.py": "from . import wire\nfrom .wire import json\n",
    "node/__init__.py": "",
    "node/app.py": "import starlette\nfrom node.posts import pages\n",
    "node/one.py": "",
    "node/two.py": "",
    "node/three.py": "",
    "node/core/__init__.py": "",
    "node/core/kernel.py": "from node.posts import content\nfrom node.core import typed\n",
    "node/core/typed.py": "from starlette.requests import Request\n",
    "node/posts/__init__.py": "",
    "node/posts/content.py": "from node.posts import pages\n",
    "node/posts/pages.py": "from starlette.responses import Response\nfrom node.posts.content import x\n",
    "node/posts/store.py": "import starlette.datastructures\n",
    "node/posts/ahead.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from node.posts import behind\n",
    "node/posts/behind.py": "from node.posts import ahead\n\ndef late() -> None:\n    from . import lazy\n",
    "node/posts/lazy.py": "from node.posts import behind\n",
    "node/posts/pages_guards.py": PAGES_GUARDS,
    "node/posts/sizes.py": LONG_FUNCTION + EDGE_FUNCTION,
    "node/posts/long.py": "# ==== one part\n" + "x = 1\n" * 500,
    "node/posts/banner.py": '"""# ---- not a comment"""\n' + "x = 1\n" * 300 + "\n    # -------- two\n",
    "node/posts/quiet.py": '"""# ---- not a comment"""\n' + "x = 1\n" * 300,
    "node/posts/short.py": "# ---------- short modules may have banners\n",
    "node/migrations/0001_initial.py": "import starlette\nimport node.posts.pages\n",
}


@pytest.fixture
def broken(tmp_path: Path) -> Tree:
    for path, text in BROKEN.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return load(tmp_path)


def test_federation_checker_reports_node_imports(broken: Tree) -> None:
    found = federation_imports(broken)
    assert set(found) == {"federation/wire.py"}
    assert "federation/wire.py:2 imports node.core.kernel" in found["federation/wire.py"]


def test_service_checker_reports_starlette_and_web_facing_imports(broken: Tree) -> None:
    found = service_imports(broken)
    assert set(found) == {"node/core/typed.py", "node/posts/content.py", "node/posts/store.py"}
    assert "node/posts/content.py:1 imports node.posts.pages" in found["node/posts/content.py"]


def test_core_checker_reports_features_and_starlette(broken: Tree) -> None:
    found = core_imports(broken)
    assert set(found) == {"node/core/kernel.py", "node/core/typed.py"}
    assert found["node/core/kernel.py"] == (
        "node/core/kernel.py:1 imports node.posts.content: node/core imports no feature (posts)")
    assert found["node/core/typed.py"].endswith("node/core imports no Starlette")


def test_cycle_checker_reports_one_cycle_path(broken: Tree) -> None:
    found = import_cycles(broken)
    assert set(found) == {"node/posts/content.py", "node/posts/pages.py"}
    assert found["node/posts/pages.py"].endswith("node.posts.content -> node.posts.pages -> node.posts.content")


PACKAGE = {
    "federation/__init__.py": "",
    "federation/sig/__init__.py": "from federation.sig.verify import check\nfrom federation.sig.late import x\n",
    "federation/sig/keys.py": "",
    "federation/sig/verify.py": "from federation.sig.keys import load\nfrom . import keys\n",
    "federation/sig/late.py": "from federation.sig import check\n",
}


def test_cycle_checker_lets_a_package_re_export_its_modules(tmp_path: Path) -> None:
    for path, text in PACKAGE.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    found = import_cycles(load(tmp_path))
    assert set(found) == {"federation/sig/__init__.py", "federation/sig/late.py"}


def test_function_import_checker_reports_the_function(broken: Tree) -> None:
    found = function_imports(broken)
    assert set(found) == {"node/posts/pages_guards.py:Page.render", "node/posts/behind.py:late"}
    assert found["node/posts/pages_guards.py:Page.render"].startswith("node/posts/pages_guards.py:8 imports json")


def test_top_level_checker_counts_node_modules(broken: Tree) -> None:
    assert set(top_level_modules(broken)) == {"node/"}
    assert "5 top-level modules" in top_level_modules(broken)["node/"]


def test_size_checkers_report_long_modules_and_functions(broken: Tree) -> None:
    assert set(long_modules(broken)) == {"node/posts/long.py"}
    assert long_modules(broken)["node/posts/long.py"] == "node/posts/long.py has 501 lines (at most 500)"
    assert set(long_functions(broken)) == {"node/posts/sizes.py:long"}
    assert "long has 81 lines" in long_functions(broken)["node/posts/sizes.py:long"]


def test_banner_checker_reports_comments_in_long_modules(broken: Tree) -> None:
    found = banners(broken)
    assert set(found) == {"node/posts/long.py", "node/posts/banner.py"}
    assert found["node/posts/banner.py"].startswith("node/posts/banner.py:303 has a section banner")


def test_response_checkers_report_unions_and_guards(broken: Tree) -> None:
    assert set(response_unions(broken)) == {"node/posts/pages_guards.py:refuse", "node/posts/pages_guards.py:maybe"}
    guards = response_guards(broken)
    assert set(guards) == {"node/posts/pages_guards.py:Page.render", "node/posts/pages_guards.py:<module>"}
    assert guards["node/posts/pages_guards.py:Page.render"].startswith("node/posts/pages_guards.py:9 Page.render")


def test_ratchet_reports_new_violations_and_fixed_entries() -> None:
    assert ratchet({"a.py": "a.py:3 is bad", "b.py": "b.py:1 is bad"}, {"b.py", "c.py"}) == [
        "a.py:3 is bad", "c.py is fixed: delete it from KNOWN in tests/test_layers.py"]
    assert ratchet({}, set()) == []
