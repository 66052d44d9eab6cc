#!/usr/bin/env bash
# Install bubblewrap (the sandbox of student code) with apt-get, as root or through password-less sudo.
# Never fails the build: without bubblewrap the grader runs student code as plain processes and says so.
set -u
if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else as_root=(none); fi
if [ "${as_root[0]:-}" != none ] && command -v apt-get >/dev/null; then
    "${as_root[@]}" apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
        || { "${as_root[@]}" apt-get update -qq >/dev/null 2>&1 && "${as_root[@]}" apt-get install -y -qq bubblewrap >/dev/null 2>&1; }
fi
if command -v bwrap >/dev/null; then
    echo "bubblewrap: $(bwrap --version)"
else
    echo "WARNING: bubblewrap could not be installed here (no root/apt-get): student code will run as PLAIN PROCESSES." >&2
fi
