"""`python -m toyemerge.rescore …`: see toyemerge.rescore.cli."""

import sys

from toyemerge.rescore.cli import main

sys.exit(main())
