import sys

from tui_replay.cli import main

sys.exit(main())
