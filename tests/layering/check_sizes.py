#!/usr/bin/env python3
"""Checks that sources stay readable at once: no file over MAX_FILE_LINES lines and no function
(C, C++ or BPF C, GoogleTest bodies included) over MAX_FUNCTION_LINES lines, from its header line
to its closing brace.

A function body is a `{` at namespace, class or file scope whose header (the text since the
previous `;`, `{` or `}`) has a parameter list and is not a type, namespace or initializer.

Usage: check_sizes.py [SOURCE_ROOT] [FILES...]. With no FILES: every source under bpf/,
symbols/, userspace/ and tests/. Prints one line per violation; exit 1 if any.
"""
import pathlib
import re
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
ROOTS = ("bpf", "symbols", "userspace", "tests")

SUFFIXES = {".c", ".h", ".hpp", ".cpp"}
SCOPE_WORDS = re.compile(r"\b(namespace|class|struct|union|enum)\b")
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else)\b")


def blank_comments_and_strings(text):
    """Comments, string and char literals become spaces (newlines kept, so lines still count)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """Yields (name, first_line, line_count) for every function body in `text`."""
    code = blank_comments_and_strings(text)
    stack = []  # per open brace: True if it is a function body, or a scope that may hold them
    header_start = 0
    for pos, ch in enumerate(code):
        if ch == "{":
            header = code[header_start:pos]
            in_scope = all(kind == "scope" for kind, _ in stack)
            kind = "block"
            if in_scope:
                flat = " ".join(header.split())
                if SCOPE_WORDS.search(flat) and "(" not in flat.split("{")[0].split(":")[0] \
                        or flat.endswith("=") or flat.startswith("extern"):
                    kind = "scope"
                elif ")" in flat and not CONTROL.match(flat):
                    kind = "function"
                elif not flat or flat.startswith("#"):
                    kind = "scope"
            stack.append((kind, pos))
            header_start = pos + 1
        elif ch == "}":
            if stack:
                kind, start = stack.pop()
                if kind == "function":
                    hdr = code[:start].rstrip()
                    first = code.count("\n", 0, _header_begin(code, start)) + 1
                    last = code.count("\n", 0, pos) + 1
                    m = re.search(r"([\w:~]+)\s*\([^()]*(\([^()]*\)[^()]*)*\)[^(){}]*$", hdr)
                    yield (m.group(1) if m else "?", first, last - first + 1)
            header_start = pos + 1
        elif ch == ";":
            header_start = pos + 1


def _header_begin(code, brace):
    """Where a function's header starts: after the previous `;`, `{`, `}` or preprocessor line."""
    i = brace - 1
    while i >= 0 and code[i] not in ";{}":
        i -= 1
    j = i + 1
    while j < brace and code[j].isspace():
        j += 1
    # Skip leading preprocessor lines (e.g. #include before the first function).
    while code.startswith("#", j):
        nl = code.find("\n", j)
        if nl < 0 or nl > brace:
            break
        j = nl + 1
        while j < brace and code[j].isspace():
            j += 1
    return j


def check_file(root, path):
    text = path.read_text(errors="replace")
    rel = path.relative_to(root).as_posix()
    problems = []
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines > MAX_FILE_LINES:
        problems.append(f"{rel}: {lines} lines (at most {MAX_FILE_LINES})")
    for name, first, count in functions(text):
        if count > MAX_FUNCTION_LINES:
            problems.append(f"{rel}:{first}: {name} is {count} lines (at most {MAX_FUNCTION_LINES})")
    return problems


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    if len(sys.argv) > 2:
        paths = [pathlib.Path(p).resolve() for p in sys.argv[2:]]
    else:
        paths = sorted(p for r in ROOTS for p in (root / r).rglob("*")
                       if p.suffix in SUFFIXES and p.is_file())
    problems = [p for path in paths for p in check_file(root, path)]
    for p in problems:
        print(p)
    print(f"sizes: {len(problems)} violation(s)" if problems else "sizes: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
