#!/usr/bin/python3
# A failing disk for the fault suite: a read-only FUSE view of a directory whose reads fail
# with EIO (as a dying disk's do) while a switch file exists, and succeed again once it is
# removed. Usage: failing-disk.py BACKING_DIR SWITCH_FILE MOUNTPOINT -f -o allow_other,...
# Needs /dev/fuse and Debian's python3-fuse (installed by scripts/setup.mjs when root).
import errno
import os
import sys

import fuse
from fuse import Fuse

fuse.fuse_python_api = (0, 2)


class FailingDisk(Fuse):
    def __init__(self, backing, switch, *args, **kw):
        Fuse.__init__(self, *args, **kw)
        self.backing = backing
        self.switch = switch

    def getattr(self, path):
        try:
            return os.lstat(self.backing + path)
        except OSError as e:
            return -e.errno

    def readdir(self, path, offset):
        for name in ['.', '..'] + os.listdir(self.backing + path):
            yield fuse.Direntry(name)

    def open(self, path, flags):
        if flags & (os.O_WRONLY | os.O_RDWR):
            return -errno.EROFS
        return 0 if os.path.exists(self.backing + path) else -errno.ENOENT

    def read(self, path, size, offset):
        if os.path.exists(self.switch):
            return -errno.EIO
        with open(self.backing + path, 'rb') as f:
            f.seek(offset)
            return f.read(size)


def main():
    backing, switch = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    server = FailingDisk(backing, switch, usage='failing-disk.py BACKING SWITCH MOUNTPOINT [fuse options]')
    server.parse(sys.argv[3:], errex=1)
    server.main()


if __name__ == '__main__':
    main()
