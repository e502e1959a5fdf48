#!/usr/bin/env python3
"""Checks that every #include in goretain's sources runs in the direction of the arrows.

Rooms, top to bottom (a room may include itself and any room listed in ALLOWED for it):

    cli -> session -> {output, analysis, targets} -> {kernel, process} -> goruntime -> model?
    cli -> http -> output (http/ serves the live report over HTTP: --listen)
    symbols/ and bpf/ include nothing of userspace/; symbols/ includes nothing of bpf/.

Any room may include symbols/result.h (the Result/Error vocabulary). Also checks the system boundaries that have a single owner: only kernel/ includes libbpf or a
BPF skeleton; only process/ calls process_vm_readv, ptrace or pidfd_open; only output/ includes
protobuf (generated *.pb.h) and zlib; only tui/ includes ncurses; only output/ and cli/ write to
stdout.

Usage: check_layering.py [SOURCE_ROOT]. Prints one line per violation; exit 1 if any.
"""
import pathlib
import re
import sys

# room -> rooms it may include (besides itself). "bpf" is bpf/*.h (e.g. "goretain.h").
ALLOWED = {
    "cli": {"session", "output", "tui", "http", "analysis", "targets", "kernel", "process", "goruntime",
            "model", "symbols", "bpf"},
    "session": {"output", "analysis", "targets", "kernel", "process", "goruntime", "model",
                "symbols", "bpf"},
    "http": {"output", "model"},
    "output": {"model"},
    "tui": {"output", "model"},
    "analysis": {"process", "goruntime", "model", "symbols", "bpf"},
    "targets": {"process", "goruntime", "model", "symbols"},
    "kernel": {"goruntime", "symbols", "bpf"},
    "process": {"goruntime", "symbols"},
    "goruntime": {"symbols", "bpf"},
    "model": set(),
    "symbols": set(),
    "bpf": set(),
}

# Only these rooms may include these system headers / call these functions.
SYSTEM_OWNERS = [
    (re.compile(r'#\s*include\s*[<"](bpf/libbpf\.h|bpf/bpf\.h|[\w.]*\.skel\.h)[>"]'), {"kernel"},
     "libbpf and BPF skeletons belong to kernel/"),
    (re.compile(r'\b(process_vm_readv|ptrace|pidfd_open)\s*\('), {"process"},
     "process_vm_readv, ptrace and pidfd belong to process/"),
    (re.compile(r'#\s*include\s*[<"](google/protobuf/[^>"]*|zlib\.h|[\w/]*\.pb\.h)[>"]'), {"output"},
     "protobuf (generated *.pb.h) and zlib belong to output/ (the pprof encoder)"),
    (re.compile(r'#\s*include\s*[<"](ncursesw?/)?(n?curses|term|panel|menu|form)\.h[>"]'), {"tui"},
     "ncurses belongs to tui/ (goretain top's screen)"),
    (re.compile(r'#\s*include\s*[<"](httplib\.h|prometheus/[^>"]*)[>"]'), {"http"},
     "the HTTP server (httplib) and prometheus-cpp belong to http/ (--listen)"),
    (re.compile(r'\b(std::cout|printf\s*\(|puts\s*\(|fmt::print\(\s*stdout)'), {"output", "cli"},
     "only output/ and cli/ write to stdout"),
]

# System calls owned by ONE file, not a room: writing to a target's memory is the single
# documented exception to "never write to target memory" (--enable-sampling, issue 12), so no
# other file, even in process/, may do it.
FILE_OWNERS = [
    (re.compile(r'\b(process_vm_writev|PTRACE_POKE\w*)\b'),
     "userspace/process/profile_rate_writer.cpp",
     "writing to a target's memory belongs to userspace/process/profile_rate_writer.cpp only "
     "(--enable-sampling)"),
]

# Vocabulary every room may use: the Result/Error type of library code.
VOCABULARY = {"symbols/result.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".c"}


def room_of_file(root, path):
    rel = path.relative_to(root).parts
    if rel[0] == "userspace" and len(rel) >= 3:
        return rel[1]
    if rel[0] in ("symbols", "bpf"):
        return rel[0]
    return None


def room_of_include(inc, root):
    parts = inc.split("/")
    if parts[0] == "userspace" and len(parts) >= 3:
        return parts[1]
    if parts[0] == "symbols":
        return "symbols"
    if len(parts) == 1 and (root / "bpf" / inc).exists():
        return "bpf"
    if parts[0] == "bpf":
        return "bpf"
    return None  # generated or third-party header


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def check(root):
    problems = []
    loose = [p for p in (root / "userspace").glob("*") if p.suffix in SOURCE_SUFFIXES]
    for p in loose:
        problems.append(f"{p.relative_to(root)}: source file at the top of userspace/ (put it in a room)")
    for path in sorted(root.glob("*/**/*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        room = room_of_file(root, path)
        if room is None:
            continue
        if room not in ALLOWED:
            problems.append(f"{path.relative_to(root)}: room '{room}' is not in the layering table")
            continue
        text = path.read_text(errors="replace")
        code = strip_comments(text)
        for m in INCLUDE.finditer(code):
            target = room_of_include(m.group(1), root)
            if target is None or target == room or m.group(1) in VOCABULARY:
                continue
            if target not in ALLOWED[room]:
                problems.append(f"{path.relative_to(root)}: {room}/ includes {m.group(1)} "
                                f"({target}/ is not below {room}/)")
        for pattern, owners, why in SYSTEM_OWNERS:
            if room in owners or room in ("symbols", "bpf"):
                continue
            if pattern.search(code):
                problems.append(f"{path.relative_to(root)}: {why}")
        rel = path.relative_to(root).as_posix()
        for pattern, owner, why in FILE_OWNERS:
            if rel != owner and pattern.search(code):
                problems.append(f"{rel}: {why}")
    return problems


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} violation(s)")
        return 1
    print("layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
