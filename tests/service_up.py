"""Exit 0 when a TCP service answers on HOST PORT within a second (used by `make test`)."""

import socket
import sys

try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
