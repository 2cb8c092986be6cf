#!/usr/bin/env python3
"""Write the bundled sample captures of pcap-samples/, packet by packet, with no dependencies.

hub-spoke.pcap is traffic of docs/examples/hub-spoke.json: a web server answering HTTPS from the
internet, SSH from the office and from the internet, the web tier reaching the database through
the firewall (SQL allowed, SSH denied), DNS from a spoke, a blackholed range, the database
reaching the office, a fragmented datagram, and frames nwsim cannot parse (ARP, a truncated
header). Its expected report is tests/e2e/replay-hub-spoke.out.

usage: make-samples.py OUTPUT-DIR
"""
import os
import socket
import struct
import sys

T0 = 1700000000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ether(payload, ethertype=0x0800):
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=1, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport, dport, flags, data=b"", seq=1, ack=0):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + data


def udp(sport, dport, data=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp_echo(ident, seq, reply=False):
    return struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq) + b"ping" * 8


SYN, SYNACK, ACK, PSHACK, FINACK = 0x02, 0x12, 0x10, 0x18, 0x11


def conversation(a, ap, b, bp, n_data=2):
    """A TCP conversation a -> b: handshake, some data both ways, close."""
    pk = [ipv4(a, b, 6, tcp(ap, bp, SYN)), ipv4(b, a, 6, tcp(bp, ap, SYNACK)), ipv4(a, b, 6, tcp(ap, bp, ACK))]
    for i in range(n_data):
        pk.append(ipv4(a, b, 6, tcp(ap, bp, PSHACK, b"x" * 100)))
        pk.append(ipv4(b, a, 6, tcp(bp, ap, PSHACK, b"y" * 300)))
    pk += [ipv4(a, b, 6, tcp(ap, bp, FINACK)), ipv4(b, a, 6, tcp(bp, ap, FINACK))]
    return pk


def hub_spoke():
    frames = []
    # HTTPS from the internet to web1, answered through the firewall (stateful).
    frames += [ether(p) for p in conversation("203.0.113.50", 51000, "10.1.1.4", 443)]
    # SSH from the office through the VPN gateway.
    frames += [ether(p) for p in conversation("192.168.10.20", 52000, "10.1.1.4", 22, 1)]
    # web1 to db1 through the firewall: SQL allowed, SSH denied at db1 (three tries).
    frames += [ether(p) for p in conversation("10.1.1.4", 53000, "10.2.1.4", 1433)]
    frames += [ether(ipv4("10.1.1.4", "10.2.1.4", 6, tcp(53001, 22, SYN))) for _ in range(3)]
    # DNS from spoke2 to the hub's DNS server, and the answer.
    frames.append(ether(ipv4("10.2.1.4", "10.0.2.4", 17, udp(40000, 53, b"q" * 30))))
    frames.append(ether(ipv4("10.0.2.4", "10.2.1.4", 17, udp(53, 40000, b"a" * 60))))
    # The quarantined range is routed to nowhere.
    frames += [ether(ipv4("10.1.1.4", "10.1.99.7", 6, tcp(53002, 80, SYN))) for _ in range(2)]
    # db1 to the office: its route sends it through the firewall to the gateway.
    frames.append(ether(ipv4("10.2.1.4", "192.168.20.5", 17, udp(40001, 514, b"syslog"))))
    # SMTP out of web1 is denied by its NSG.
    frames.append(ether(ipv4("10.1.1.4", "198.51.100.25", 6, tcp(53003, 25, SYN))))
    # Ping from the firewall to the internet and the reply.
    frames.append(ether(ipv4("10.0.1.4", "8.8.8.8", 1, icmp_echo(7, 1))))
    frames.append(ether(ipv4("8.8.8.8", "10.0.1.4", 1, icmp_echo(7, 1, reply=True))))
    # A UDP datagram from the office to dns1 in two fragments: the second carries no ports.
    body = udp(41000, 53, b"f" * 60)
    frames.append(ether(ipv4("192.168.10.20", "10.0.2.4", 17, body[:32], ident=77, frag=0x2000)))
    frames.append(ether(ipv4("192.168.10.20", "10.0.2.4", 17, body[32:], ident=77, frag=4)))
    # Frames that are not IP, or cut short.
    frames.append(ether(b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\x00" * 20, 0x0806))
    frames.append(ether(ipv4("10.1.1.4", "10.2.1.4", 6, tcp(1, 2, SYN))[:16]))
    return frames


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + i // 10, (i % 10) * 100000, len(fr), len(fr)))
            f.write(fr)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    frames = hub_spoke()
    write_pcap(os.path.join(out, "hub-spoke.pcap"), frames)
    print("%s: %d packets" % (os.path.join(out, "hub-spoke.pcap"), len(frames)))


if __name__ == "__main__":
    main()
