"""Facts about the bench machine for bench.json (no hostname unless asked)."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def storage(path: Path) -> str:
    """The filesystem holding `path`: type, device, size, and whether it spins."""
    path = path.resolve()
    while not path.exists():
        path = path.parent
    best = ("", "", "")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            dev, mount, fstype = line.split()[:3]
            if str(path).startswith(mount) and len(mount) >= len(best[1]):
                best = (dev, mount, fstype)
    except OSError:
        return ""
    st = os.statvfs(path)
    size = st.f_blocks * st.f_frsize / 2**30
    kind = ""
    name = Path(best[0]).name
    for candidate in (name, name.rstrip("0123456789"), name.split("p")[0]):
        rot = Path(f"/sys/block/{candidate}/queue/rotational")
        if candidate and rot.exists():
            kind = "hdd" if rot.read_text().strip() == "1" else "ssd"
            break
    return f"{best[2]} on {best[0]} mounted at {best[1]}, {size:.0f} GiB {kind}".strip()


def host_info(data_path: Path, record_hostname: bool) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "ram_gib": ram_gib(),
        "os": f"{platform.system()} {platform.release()} ({platform.platform()})",
        "python": platform.python_version(),
        "storage": storage(data_path),
        "hostname": socket.gethostname() if record_hostname else None,
    }
