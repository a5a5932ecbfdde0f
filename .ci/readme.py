#!/usr/bin/env python3
"""Reads the README's front door, so that CI runs exactly what a new user copies.

  readme.py setup N       the README's N-th set-up command (1: run a scenario, 2: the tests), as written
  readme.py block MARKER  the fenced block after `<!-- MARKER: ... -->` (an output the README shows, or a
                          command it tells users to run)

The set-up block is the first ```sh block under the heading "Set-up"; each line is one command, a trailing
`# comment` is not part of it. Fails (exit 2) when the README no longer has what is asked for.
"""
import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def setup_commands(text):
    match = re.search(r"^## Set-up[^\n]*\n.*?```sh\n(.*?)```", text, re.S | re.M)
    if not match:
        sys.exit("readme.py: README.md has no ```sh block under a `## Set-up` heading")
    commands = []
    for line in match.group(1).splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command and not command.startswith("#"):
            commands.append(command)
    return commands


def block(text, marker):
    match = re.search(r"<!-- " + re.escape(marker) + r":[^\n]*-->\n```[a-z]*\n(.*?)```", text, re.S)
    if not match:
        sys.exit(f"readme.py: README.md has no fenced block after <!-- {marker}: ... -->")
    return match.group(1)


def main():
    text = README.read_text()
    if len(sys.argv) == 3 and sys.argv[1] == "setup":
        commands = setup_commands(text)
        n = int(sys.argv[2])
        if not 1 <= n <= len(commands):
            sys.exit(f"readme.py: the set-up block has {len(commands)} commands, not {n}")
        print(commands[n - 1])
    elif len(sys.argv) == 3 and sys.argv[1] == "block":
        sys.stdout.write(block(text, sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
