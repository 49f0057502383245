"""Creates the file named by argv[1] and exits 0 (proves whether `mock-okta run` started CMD)."""

import sys
from pathlib import Path

Path(sys.argv[1]).write_text("ran\n")
