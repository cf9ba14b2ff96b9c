#!/usr/bin/python3
"""make-pkix.py - makes the certificates and TLS bytes of the MTA-STS PKIX
captures in pcaps/pkix/ and writes their scenarios.

Certificates (openssl, EC P-256, validity pinned with `openssl ca
-startdate/-enddate` so the captures do not depend on the day they were
made):
  ca.crt          "PKIX Test Root": the trusted root (the test runs mxsentry
                  with --ca-file ca.crt), valid 2026-01-01 .. 2036-01-01
  other-ca.crt    "PKIX Other Root": a root nobody trusts
  ok              mx1.pkix.test from the trusted root, 2026-01-01 .. 2028-01-01
  expired         mx2.pkix.test from the trusted root, 2025-01-01 .. 2026-01-01
  wrong-ca        mx3.pkix.test from the other root, 2026-01-01 .. 2028-01-01
  self-signed     mx4.pkix.test signed by its own key, 2026-01-01 .. 2028-01-01
  dane            mx5.pkix.test self-signed too, but policy.yaml pins its key
                  with TLSA 3 1 1: DANE judges it, PKIX does not apply
Keys are made in a temporary directory and thrown away; only the
certificates (tls/NAME.crt) and the TLS flights are kept.

TLS bytes: for each NAME a TLS 1.2 handshake (certificate visible) between
Python ssl contexts joined by memory BIOs (SNI: the MX host), the server
sending its certificate and the issuing CA's (tls/NAME-01-c.bin .. NAME-05-c.bin).
Scenarios: NAME.scn, an SMTP session with STARTTLS to mxN.pkix.test at
packet time 2026-12-01 (policy.yaml: MTA-STS enforce for pkix.test).

Usage: make-pkix.py            new certificates, new TLS bytes, scenarios
Also writes policy.yaml (the DANE pin of mx5 changes with its key).
Then ./regenerate.sh builds the captures (./regenerate.sh --new runs this
script first).
"""
import hashlib
import os
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TLS = os.path.join(HERE, "tls")
START, END = "20260101000000Z", "20280101000000Z"
# name: (host, issuer, start, end, server address, client port)
CERTS = {
    "ok": ("mx1.pkix.test", "root", START, END, "198.51.100.41", 47601),
    "expired": ("mx2.pkix.test", "root", "20250101000000Z", "20260101000000Z",
                "198.51.100.42", 47602),
    "wrong-ca": ("mx3.pkix.test", "other", START, END, "198.51.100.43", 47603),
    "self-signed": ("mx4.pkix.test", None, START, END, "198.51.100.44", 47604),
    "dane": ("mx5.pkix.test", None, START, END, "198.51.100.45", 47605),
}

CA_CONF = """[ ca ]
default_ca = ca_here
[ ca_here ]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = copy
[ any_name ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
"""


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def key(path):
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", path)


def csr(tmp, name, cn, san=None):
    k, r = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".csr")
    key(k)
    args = ["openssl", "req", "-new", "-key", k, "-subj", "/CN=" + cn, "-out", r]
    if san:
        args += ["-addext", "subjectAltName=DNS:" + san]
    run(*args)
    return k, r


def sign(tmp, conf, r, out, start, end, ext, ca=None, selfsign_key=None):
    args = ["openssl", "ca", "-batch", "-config", conf, "-notext", "-in", r, "-out", out,
            "-startdate", start, "-enddate", end, "-extensions", ext]
    if selfsign_key:
        args += ["-selfsign", "-keyfile", selfsign_key]
    else:
        args += ["-cert", ca[0], "-keyfile", ca[1]]
    run(*args)


def flights(cert_chain, key_path, host):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert_chain, key_path)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.maximum_version = ssl.TLSVersion.TLSv1_2
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    c = cctx.wrap_bio(cin, cout, server_side=False, server_hostname=host)
    s = sctx.wrap_bio(sin, sout, server_side=True)
    out, done = [], [False, False]
    for _ in range(10):
        for side, obj, src, dst in (("c", c, cout, sin), ("s", s, sout, cin)):
            i = 0 if side == "c" else 1
            if not done[i]:
                try:
                    obj.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            data = src.read()
            if data:
                out.append((side, data))
                dst.write(data)
        if all(done):
            break
    c.write(b"EHLO client.example.test\r\n")
    data = cout.read()
    out.append(("c", data))
    return out


def main():
    os.makedirs(TLS, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "ca.cnf")
        with open(conf, "w") as f:
            f.write(CA_CONF.format(d=tmp))
        open(os.path.join(tmp, "index.txt"), "w").close()
        with open(os.path.join(tmp, "serial"), "w") as f:
            f.write("2026120101\n")
        roots = {}
        for rname, cn, out in (("root", "PKIX Test Root", "ca.crt"),
                               ("other", "PKIX Other Root", "other-ca.crt")):
            k, r = csr(tmp, rname, cn)
            path = os.path.join(HERE, out)
            sign(tmp, conf, r, path, START, "20360101000000Z", "v3_ca", selfsign_key=k)
            roots[rname] = (path, k)
        for name, (host, issuer, start, end, _, _) in CERTS.items():
            k, r = csr(tmp, name, host, san=host)
            crt = os.path.join(TLS, name + ".crt")
            if issuer is None:
                sign(tmp, conf, r, crt, start, end, "v3_leaf", selfsign_key=k)
                chain = crt
            else:
                sign(tmp, conf, r, crt, start, end, "v3_leaf", ca=roots[issuer])
                chain = os.path.join(tmp, name + ".chain")
                with open(chain, "w") as f:
                    f.write(open(crt).read() + open(roots[issuer][0]).read())
            for old in os.listdir(TLS):
                if old.startswith(name + "-") and old.endswith(".bin"):
                    os.unlink(os.path.join(TLS, old))
            merged = []
            for side, data in flights(chain, k, host):
                if merged and merged[-1][0] == side:
                    merged[-1] = (side, merged[-1][1] + data)
                else:
                    merged.append((side, data))
            for i, (side, data) in enumerate(merged, 1):
                with open(os.path.join(TLS, "%s-%02d-%s.bin" % (name, i, side)), "wb") as f:
                    f.write(data)
            write_scenario(name, host, CERTS[name][4], CERTS[name][5], len(merged))
    write_policy()


def spki_sha256(crt):
    pub = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-pubkey"], check=True,
                         capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()


def write_policy():
    addrs = ", ".join("%s: [%s]" % (v[0], v[4]) for v in CERTS.values())
    pin = spki_sha256(os.path.join(TLS, "dane.crt"))
    with open(os.path.join(HERE, "policy.yaml"), "w") as f:
        f.write("# Generated by make-pkix.py. MTA-STS enforce for pkix.test; mx5 has a DANE\n"
                "# pin (TLSA 3 1 1 of its key), so DANE judges it and PKIX does not apply.\n"
                "policies:\n"
                "  - domain: pkix.test\n"
                "    mta-sts: {mode: enforce, mx: [\"*.pkix.test\"], max_age: 604800}\n"
                "    tlsa: [{host: mx5.pkix.test, port: 25, records: [\"3 1 1 %s\"]}]\n"
                "    addresses: {%s}\n" % (pin, addrs))


def write_scenario(name, host, addr, port, nflights):
    lines = [
        "# Generated by make-pkix.py: an SMTP session with STARTTLS and TLS 1.2 to",
        "# %s (%s), whose certificate is tls/%s.crt." % (host, addr, name),
        "capture %s.pcap" % name,
        "time 2026-12-01T12:00:00Z",
        "conn client 192.0.2.25:%d server %s:25" % (port, addr),
        "S: 220 %s ESMTP\\r\\n" % host,
        "C: EHLO client.example.test\\r\\n",
        "S: 250-%s\\r\\n250 STARTTLS\\r\\n" % host,
        "C: STARTTLS\\r\\n",
        "S: 220 2.0.0 Ready to start TLS\\r\\n",
    ]
    for i in range(1, nflights + 1):
        side = "C" if os.path.exists(os.path.join(TLS, "%s-%02d-c.bin" % (name, i))) else "S"
        lines.append("%s: file tls/%s-%02d-%s.bin" % (side, name, i, side.lower()))
    lines.append("close fin")
    with open(os.path.join(HERE, name + ".scn"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
