"""`python -m forum` runs the command line, the same as the `forum` script."""

from forum.cli import main

main()
