"""The lab's processes: every daemon is a child started here, its PID
appended to <lab>/pids so run.sh's trap can end it even if the lab dies; and
the waits until each one answers.
"""

import os
import socket
import subprocess
import time

CHILDREN = []


def log(msg):
  print(f"[lab {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, cwd=None):
  r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
  if r.returncode != 0:
    raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): "
                       f"{r.stderr.strip()} {r.stdout.strip()[-500:]}")
  return r.stdout


def write(path, text, mode=0o644):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    f.write(text)
  os.chmod(path, mode)


def start(lab, name, cmd):
  out = open(os.path.join(lab, f"{name}.out"), "w")
  p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                       start_new_session=True)
  CHILDREN.append((name, p))
  with open(os.path.join(lab, "pids"), "a") as f:
    f.write(f"{p.pid}\n")
  return p


def stop_all():
  for name, p in reversed(CHILDREN):
    if p.poll() is None:
      p.terminate()
  deadline = time.monotonic() + 5
  for name, p in CHILDREN:
    try:
      p.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
      p.kill()
      p.wait(timeout=5)


def wait_port(addr, port, what, timeout=15):
  """Until addr:port accepts a TCP connection; fails early if a child died."""
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    for name, p in CHILDREN:
      if p.poll() is not None:
        raise RuntimeError(f"{name} exited with {p.returncode}; see its .out file")
    try:
      socket.create_connection((addr, port), timeout=1).close()
      return
    except OSError:
      pass
    time.sleep(0.1)
  raise RuntimeError(f"{what} not listening on {addr}:{port} after {timeout}s")


def wait_dns(addr, name, what, timeout=15):
  """Until addr answers an A query for name with NOERROR and an answer."""
  qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
  # Id 0x1234, RD set, one question: name, type A, class IN.
  query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + qname
           + b"\x00\x01\x00\x01")
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    for pname, p in CHILDREN:
      if p.poll() is not None:
        raise RuntimeError(f"{pname} exited with {p.returncode}; see its .out file")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
      sock.settimeout(0.5)
      try:
        sock.sendto(query, (addr, 53))
        reply = sock.recv(4096)
        # Same id, rcode NOERROR, at least one answer.
        if reply[:2] == b"\x12\x34" and reply[3] & 0x0F == 0 and reply[6:8] != b"\0\0":
          return
      except OSError:
        pass
    time.sleep(0.1)
  raise RuntimeError(f"{what} at {addr} did not answer {name} A within {timeout}s")
