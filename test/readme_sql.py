#!/usr/bin/python3
"""Prints the ```sql blocks of one README section, in order, for a test to run
them as written.

    /usr/bin/python3 test/readme_sql.py "CSV exports from the admin console"

The section runs from its "## <title>" heading to the next heading of the
same level; a title that is not there is an error (a renamed section must
not leave its test running nothing).
"""

import os
import sys

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")


def blocks(lines, title):
    out, inside, block = [], False, None
    for line in lines:
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip() == title
            continue
        if not inside:
            continue
        if block is None and line.strip() == "```sql":
            block = []
        elif block is not None and line.strip() == "```":
            out.append(block)
            block = None
        elif block is not None:
            block.append(line)
    if not out:
        sys.exit(f"README.md has no ```sql block under \"## {title}\"")
    return out


def main():
    with open(README, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for block in blocks(lines, sys.argv[1]):
        print("\n".join(block))
        print()


if __name__ == "__main__":
    main()
