"""Drive one simulated device with netmiko's stock cisco_ios driver (no special settings).

usage: netmiko_probe.py HOST PORT USERNAME PASSWORD SECRET

Prints {"show_version": ..., "config": ..., "running": ...} as JSON on stdout and exits
non-zero on any exception.
"""

import json
import sys
import traceback

from netmiko import ConnectHandler


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, username, password, secret = sys.argv[1:]
    try:
        connection = ConnectHandler(
            device_type="cisco_ios",
            host=host,
            port=int(port),
            username=username,
            password=password,
            secret=secret,
        )
        try:
            connection.enable()
            show_version = connection.send_command("show version")
            config = connection.send_config_set(["interface Loopback7", "description probe"])
            running = connection.send_command("show running-config | include probe")
        finally:
            connection.disconnect()
    except Exception:
        traceback.print_exc()
        return 1
    print(json.dumps({"show_version": show_version, "config": config, "running": running}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
