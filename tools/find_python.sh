# Sourced by tools/launch.sh: PYTHON is, by priority, $PYTHON, the repository's .venv (what
# `make setup` creates: no `source .venv/bin/activate` needed), then `python` on PATH.
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$(dirname "${BASH_SOURCE[0]}")/../.venv/bin/python" ]; then
        PYTHON="$(dirname "${BASH_SOURCE[0]}")/../.venv/bin/python"
    else
        PYTHON=python
    fi
fi
