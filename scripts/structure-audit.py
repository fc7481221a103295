#!/usr/bin/env python3
"""Counts a crate's functions over N lines (default 80) and its import circles between files
(`crate::`/`super::` paths outside test modules and comments), as STYLE.md asks.

    python3 scripts/structure-audit.py crates/daemon [80]
"""
import os, re, sys
from collections import defaultdict

def modpath(src, path):
    rel = os.path.relpath(path, src)[:-3]
    parts = rel.split(os.sep)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)

def long_fns(path, limit):
    lines = open(path).read().split("\n")
    out = []
    i = 0
    fn_re = re.compile(r'^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)')
    while i < len(lines):
        m = fn_re.match(lines[i])
        if m:
            depth = 0; started = False; j = i
            while j < len(lines):
                code = re.sub(r'"([^"\\]|\\.)*"', '""', lines[j]).split("//")[0]
                code = re.sub(r"'([^'\\]|\\.)'", "''", code)
                for ch in code:
                    if ch == '{': depth += 1; started = True
                    elif ch == '}': depth -= 1
                if started and depth <= 0: break
                if not started and code.rstrip().endswith(';'): break
                j += 1
            n = j - i + 1
            if started and n > limit:
                out.append((m.group(6), i + 1, n))
        i += 1
    return out

def imports(src, path, mods):
    me = modpath(src, path)
    deps = set()
    text = open(path).read()
    # production code only: test modules and comments (doc links) are left out
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    text = "\n".join(l.split("//")[0] for l in text.split("\n"))
    for m in re.finditer(r'\b(crate|super)((?:::\w+)+)', text):
        kind, rest = m.group(1), [p for p in m.group(2).split("::") if p]
        if kind == "crate":
            base = ()
        else:
            # super relative to the file's module; for mod.rs/lib.rs the module itself is the dir
            base = me[:-1]
            k = 0
            while k < len(rest) and rest[k] == "super":
                base = base[:-1]; k += 1
            rest = rest[k:]
        # longest module prefix that exists
        cand = base
        best = base if base in mods else None
        for p in rest:
            cand = cand + (p,)
            if cand in mods: best = cand
            else: break
        if best is not None and best != me and not me[:len(best)] == best:
            deps.add(best)
    return deps

def sccs(graph):
    index = {}; low = {}; stack = []; on = set(); out = []; c = [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = c[0]; c[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(comp)
    for v in list(graph): 
        if v not in index: visit(v)
    return out

def main():
    crate, limit = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 80
    src = os.path.join(crate, "src")
    files = []
    for d, _, fs in os.walk(src):
        files += [os.path.join(d, f) for f in fs if f.endswith(".rs")]
    mods = {modpath(src, f): f for f in files}
    longs = []
    for f in sorted(files):
        for name, line, n in long_fns(f, limit):
            longs.append((n, os.path.relpath(f), line, name))
    graph = {m: imports(src, f, mods) for m, f in mods.items()}
    cycles = [sorted("::".join(x) or "lib" for x in comp) for comp in sccs(graph) if len(comp) > 1]
    pairs = sorted({tuple(sorted(("::".join(a) or "lib", "::".join(b) or "lib"))) for a in graph for b in graph[a] if a in graph.get(b, ())})
    print(f"{crate}: {len(longs)} functions over {limit} lines; {len(cycles)} import cycles (strongly connected groups) covering {sum(len(c) for c in cycles)} files; {len(pairs)} two-file circles")
    for n, f, line, name in sorted(longs, reverse=True):
        print(f"  long {n:4d} {f}:{line} {name}")
    for c in cycles:
        print(f"  cycle ({len(c)}): {' '.join(c)}")
    for p in pairs:
        print(f"  pair: {p[0]} <-> {p[1]}")

main()
