#!/usr/bin/env python3
"""Where a WASM file's bytes go: code bytes per crate (from the name section),
plus data and other sections. Reads the file Cargo writes before wasm-bindgen
and wasm-opt, whose proportions match the shipped file closely enough to
choose what to cut.

Usage: python3 scripts/wasm-size.py FILE.wasm [TOP]
"""
import re
import sys
from collections import defaultdict


def leb(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def sections(buf):
    i = 8
    while i < len(buf):
        sid = buf[i]
        size, j = leb(buf, i + 1)
        yield sid, buf[j:j + size]
        i = j + size


def imported_functions(body):
    count, i = leb(body, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):
            n, i = leb(body, i)
            i += n
        kind = body[i]
        i += 1
        if kind == 0:
            _, i = leb(body, i)
            funcs += 1
        elif kind == 1:
            i += 1
            flags, i = leb(body, i)
            _, i = leb(body, i)
            if flags & 1:
                _, i = leb(body, i)
        elif kind == 2:
            flags, i = leb(body, i)
            _, i = leb(body, i)
            if flags & 1:
                _, i = leb(body, i)
        elif kind == 3:
            i += 2
        elif kind == 4:
            i += 1
            _, i = leb(body, i)
    return funcs


def function_names(body):
    names = {}
    i = 0
    while i < len(body):
        sub = body[i]
        size, j = leb(body, i + 1)
        if sub == 1:
            count, k = leb(body, j)
            for _ in range(count):
                idx, k = leb(body, k)
                n, k = leb(body, k)
                names[idx] = body[k:k + n].decode("utf-8", "replace")
                k += n
        i = j + size
    return names


def demangle(name):
    """The path of a legacy-mangled Rust symbol, without its hash."""
    if not name.startswith("_ZN"):
        return name
    i, parts = 3, []
    while i < len(name) and name[i].isdigit():
        j = i
        while name[j].isdigit():
            j += 1
        n = int(name[i:j])
        parts.append(name[j:j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    text = "::".join(parts)
    for code, ch in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$RF$", "&"),
                     ("$C$", ","), ("$u7b$", "{"), ("$u7d$", "}"), ("..", "::"),
                     ("$BP$", "*"), ("$u27$", "'"), ("$u5b$", "["), ("$u5d$", "]")):
        text = text.replace(code, ch)
    return text


def crate_of(path):
    if path.startswith("_R"):
        m = re.search(r"Cs[0-9A-Za-z]+_(\d+)", path)
        if m:
            n = int(m.group(1))
            return path[m.end():m.end() + n]
    m = re.match(r"_<.*? as ([A-Za-z_][A-Za-z0-9_]*)::", path)
    if m:
        return m.group(1)
    path = path.lstrip("_<&* ")
    for prefix in ("impl ", "dyn ", "mut ", "const "):
        if path.startswith(prefix):
            path = path[len(prefix):]
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", path)
    return m.group(0) if m else "?"


def main():
    buf = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    imports, bodies, names, other = 0, [], {}, defaultdict(int)
    for sid, body in sections(buf):
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            count, i = leb(body, 0)
            for _ in range(count):
                size, j = leb(body, i)
                bodies.append(size)
                i = j + size
        elif sid == 0:
            n, i = leb(body, 0)
            title = body[i:i + n].decode()
            if title == "name":
                names = function_names(body[i + n:])
            else:
                other["custom " + title] += len(body)
        else:
            other[{11: "data", 1: "types", 2: "imports", 3: "functions", 7: "exports",
                   9: "elements", 5: "memory", 6: "globals"}.get(sid, str(sid))] += len(body)
    by_crate, by_fn = defaultdict(int), defaultdict(int)
    for k, size in enumerate(bodies):
        path = demangle(names.get(imports + k, "?"))
        by_crate[crate_of(path)] += size
        by_fn[path] += size
    code = sum(bodies)
    print(f"file {len(buf)} bytes; code {code}; " +
          "; ".join(f"{k} {v}" for k, v in sorted(other.items(), key=lambda x: -x[1])))
    print(f"\n{'crate':<28}{'code bytes':>12}{'share':>8}")
    for crate, size in sorted(by_crate.items(), key=lambda x: -x[1])[:top]:
        print(f"{crate:<28}{size:>12}{size * 100 / code:>7.1f}%")
    print(f"\nlargest functions")
    for path, size in sorted(by_fn.items(), key=lambda x: -x[1])[:top]:
        print(f"{size:>8}  {path[:150]}")


if __name__ == "__main__":
    main()
