#!/usr/bin/env python3
"""Compare two root filesystems: paths, types, modes, owners, sizes, content hashes,
symlink targets, device numbers and xattrs. Prints differences; exit 1 if any.
Usage: compare-trees.py A B [--no-owners]"""
import hashlib, os, stat, sys

def describe(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            d = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode)}
            if not no_owners:
                d["owner"] = (st.st_uid, st.st_gid)
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                d["size"], d["sha256"] = st.st_size, h.hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                d["target"] = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                d["rdev"] = st.st_rdev
            try:
                d["xattrs"] = sorted((x, os.getxattr(p, x, follow_symlinks=False)) for x in os.listxattr(p, follow_symlinks=False))
            except OSError:
                d["xattrs"] = "unsupported"
            out[rel] = d
    return out

args = [a for a in sys.argv[1:] if not a.startswith("--")]
no_owners = "--no-owners" in sys.argv
a, b = describe(args[0]), describe(args[1])
diffs = 0
for k in sorted(set(a) | set(b)):
    if a.get(k) != b.get(k):
        diffs += 1
        if diffs <= 20:
            print(f"{k}:\n  {args[0]}: {a.get(k)}\n  {args[1]}: {b.get(k)}")
print(f"{len(a)} vs {len(b)} entries, {diffs} differences")
sys.exit(1 if diffs else 0)
