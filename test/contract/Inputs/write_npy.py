"""Writes a 1-D little-endian int32 .npy (standard library only). Usage: write_npy.py OUT V0 V1 ..."""
import struct, sys

vals = [int(v) for v in sys.argv[2:]]
h = "{'descr': '<i4', 'fortran_order': False, 'shape': (%d,), }" % len(vals)
h += " " * (63 - (10 + len(h)) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + struct.pack("<%di" % len(vals), *vals))
