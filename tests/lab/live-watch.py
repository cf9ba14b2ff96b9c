#!/usr/bin/env python3
"""live-watch.py - follows a live mxsentry's EVE file the way a log shipper
does and records when each line became visible, for the live lab tests.

    live-watch.py EVE_PATH OUT [INTERVAL_SECONDS]

Every INTERVAL (default 0.1 s) it reads what was appended to EVE_PATH and
writes one line per complete EVE line to OUT:

    WALL_TIME <TAB> INODE <TAB> EVE_LINE

WALL_TIME is the wall clock (seconds since the epoch) just after the read
that returned the line, so it is at most one interval later than the moment
the line reached the file. Rotation is followed like `tail -F`: a renamed
file is read to its end, and a new file at EVE_PATH is read from its start.
SIGTERM or SIGINT ends the watch after one last read of every file.
"""
import os
import signal
import sys
import time

stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    path, out_path = sys.argv[1], sys.argv[2]
    interval = float(sys.argv[3]) if len(sys.argv) == 4 else 0.1
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    files = {}  # inode -> [file object, bytes of an unfinished line]
    with open(out_path, "w", encoding="utf-8") as out:
        while True:
            last = stop
            try:
                ino = os.stat(path).st_ino
                if ino not in files:
                    files[ino] = [open(path, "rb"), b""]
            except FileNotFoundError:
                pass
            for ino, state in files.items():
                data = state[0].read()
                if not data:
                    continue
                now = time.time()
                lines = (state[1] + data).split(b"\n")
                state[1] = lines.pop()
                for line in lines:
                    text = line.decode("utf-8", "backslashreplace")
                    out.write(f"{now:.6f}\t{ino}\t{text}\n")
            out.flush()
            if last:
                break
            time.sleep(interval)
        for ino, state in files.items():
            if state[1]:
                text = state[1].decode("utf-8", "backslashreplace")
                out.write(f"{time.time():.6f}\t{ino}\tPARTIAL {text}\n")
            state[0].close()


if __name__ == "__main__":
    main()
