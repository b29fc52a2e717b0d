/// The guest's /init: a busybox shell script, PID 1 of every lab guest.
///
/// It mounts the kernel's file systems, loads virtio and the fw_cfg reader, unpacks the
/// guest's own files (agent config, certificates, `guest.env`) that QEMU hands over through
/// fw_cfg, configures eth0 with the lab address and no route out, starts the agent and the
/// netprobe echo, and then serves the lab's console: a shell reading a virtio-serial port, which QEMU
/// connects to a Unix socket in the lab folder (`GuestConsole`). The console is the lab's
/// (and its tests') way in; the agent itself runs no shell.
enum GuestInit {
    /// Where QEMU's `-fw_cfg name=...` puts the per-guest archive.
    static let configName = "opt/faultline/guest.cpio"
    /// UDP port of `fl-netprobe serve` on every guest.
    static let netprobePort = 7999

    static let script = """
    #!/bin/busybox sh
    /bin/busybox --install -s
    export PATH=/usr/sbin:/usr/bin:/sbin:/bin
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    mount -t tmpfs tmpfs /tmp
    mount -t tmpfs tmpfs /run
    mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
    echo /sbin/modprobe > /proc/sys/kernel/modprobe
    for module in virtio_pci virtio_net virtio_console qemu_fw_cfg; do modprobe $module; done
    config=/sys/firmware/qemu_fw_cfg/by_name/\(configName)/raw
    (cd / && cpio -i -d -u < $config) 2>/dev/null || echo "fl-guest: no per-guest files in fw_cfg"
    . /etc/faultline/guest.env
    hostname "$FL_HOST"
    ip link set lo up
    ip addr add "$FL_ADDRESS" dev eth0
    ip link set eth0 up
    mkdir -p /var/lib/faultline
    /usr/bin/fl-netprobe serve \(netprobePort) </dev/null >/dev/null 2>&1 &
    /usr/bin/faultline-agent --config /etc/faultline/agent.yaml </dev/null >/dev/ttyS0 2>&1 &
    echo "fl-guest $FL_HOST up at $FL_ADDRESS"
    # The console is a plain virtio-serial port, not a tty: no echo, no line discipline, and
    # none of the emulated 8250 UART's stalls under TCG. While no one is connected on the
    # host side, reads end at once: wait a little before listening again. A port opens once
    # only, so the shell gets it read-write on stdin and shares it for its output.
    port=""
    while [ -z "$port" ]; do port=$(ls /dev/vport*p1 2>/dev/null | head -n 1); sleep 0.1; done
    while true; do sh <>"$port" 1>&0 2>&0; sleep 0.2; done

    """
}
