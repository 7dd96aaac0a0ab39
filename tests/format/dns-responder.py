# A tiny DNS + UDP echo responder for the decode conformance captures (tests/format/fixtures.ts).
# It runs inside a test namespace only, bound to 192.0.2.x; answers are fixed so tcpdump has
# A, AAAA (empty), CNAME, MX, TXT, PTR, NS, SOA (in authority) and NXDOMAIN replies to print.
import socket, struct, sys

ADDR = sys.argv[1]


def name_bytes(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\x00'


def rr(name_ptr, rtype, ttl, rdata):
    return name_ptr + struct.pack('!HHIH', rtype, 1, ttl, len(rdata)) + rdata


def answer(query):
    qid, flags, qd, an, ns, ar = struct.unpack('!HHHHHH', query[:12])
    pos = 12
    labels = []
    while query[pos] != 0:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    pos += 1
    qtype, qclass = struct.unpack('!HH', query[pos:pos + 4])
    question = query[12:pos + 4]
    name = '.'.join(labels)
    q = b'\xc0\x0c'
    answers, auth, rcode, aa = [], [], 0, 0x0400
    if name == 'example.test' and qtype == 1:
        answers.append(rr(q, 1, 300, socket.inet_aton('192.0.2.53')))
        answers.append(rr(q, 1, 300, socket.inet_aton('192.0.2.54')))
    elif name == 'www.test' and qtype == 1:
        answers.append(rr(q, 5, 60, name_bytes('example.test')))
        answers.append(rr(b'\xc0\x26', 1, 300, socket.inet_aton('192.0.2.53')))
    elif name == 'mail.test' and qtype == 15:
        answers.append(rr(q, 15, 3600, struct.pack('!H', 10) + name_bytes('mx.mail.test')))
    elif name == 'text.test' and qtype == 16:
        answers.append(rr(q, 16, 60, b'\x05hello\x0bworld again'))
    elif name.endswith('in-addr.arpa') and qtype == 12:
        answers.append(rr(q, 12, 86400, name_bytes('example.test')))
    elif name == 'test' and qtype == 2:
        answers.append(rr(q, 2, 86400, name_bytes('ns1.test')))
    elif name == 'example.test' and qtype == 28:
        soa = name_bytes('ns1.test') + name_bytes('admin.test') + struct.pack('!IIIII', 2026112201, 3600, 600, 86400, 60)
        auth.append(rr(b'\xc0\x14', 6, 60, soa))
    else:
        rcode = 3
    rflags = 0x8000 | (flags & 0x7900) | aa | 0x0080 | rcode
    hdr = struct.pack('!HHHHHH', qid, rflags, 1, len(answers), len(auth), 0)
    return hdr + question + b''.join(answers) + b''.join(auth)


def query(name, qtype, qid, edns=False):
    flags = 0x0100
    msg = struct.pack('!HHHHHH', qid, flags, 1, 0, 0, 1 if edns else 0) + name_bytes(name) + struct.pack('!HH', qtype, 1)
    if edns:
        msg += b'\x00' + struct.pack('!HHIH', 41, 1232, 0, 0)
    return msg


if len(sys.argv) > 2 and sys.argv[2] == 'client':
    server = sys.argv[3]
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind((ADDR, 40053))
    c.settimeout(2)
    for i, (n, t, e) in enumerate([('example.test', 1, False), ('www.test', 1, False), ('mail.test', 15, True),
                                   ('text.test', 16, False), ('53.2.0.192.in-addr.arpa', 12, False),
                                   ('test', 2, False), ('example.test', 28, True), ('missing.test', 1, False)]):
        c.sendto(query(n, t, 0x1000 + i, e), (server, 53))
        c.recvfrom(4096)
    c.sendto(b'hello udp\n', (server, 5000))
    c.recvfrom(4096)
    sys.exit(0)

dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind((ADDR, 53))
echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.bind((ADDR, 5000))
print('ready', flush=True)
import select
while True:
    r, _, _ = select.select([dns, echo], [], [])
    for s in r:
        data, peer = s.recvfrom(4096)
        if s is echo:
            s.sendto(data.upper(), peer)
        else:
            try:
                s.sendto(answer(data), peer)
            except Exception:
                pass
