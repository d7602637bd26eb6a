#!/usr/bin/python3
"""Interop with a foreign mDNS / DNS-SD stack: python3-zeroconf (Debian 0.47) running in lab
hosts through zeroconf_peer.py browses and resolves our `lp2p advertise` (TXT fp, binary mv,
at, sn, which survives a restart), also by app-group subtype (PTR query and ServiceBrowser), and
publishes _openscreen._udp instances that our
`lp2p discover` must list (and drop on zeroconf's goodbye).

Usage: /usr/bin/python3 zeroconf_interop_test.py --lp2p PATH --lab tests/lab/lab [-v] [Class.test ...]
Exits 77 (skipped) without root.
"""

import base64
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lp2p_it  # noqa: E402
from lp2p_it import HERE, PYTHON, LabTestCase  # noqa: E402

PEER = os.path.join(HERE, "zeroconf_peer.py")
RESOLVE_WITHIN = 5.0
GOODBYE_WITHIN = 2.5
BASE64_TOKEN = re.compile(r"^[A-Za-z0-9+/]+$")
SN_TOKEN = re.compile(r"^[A-Za-z0-9_-]{27}$")  # base64url, no padding, of 20 bytes


def is_event(kind, fp=None):
    return lambda e: e.get("event") == kind and (fp is None or e.get("fingerprint") == fp)


class ZeroconfInteropTest(LabTestCase):
    LAB_TAG = "zc"
    LAB_HOSTS = 3

    def zeroconf(self, host, label, *args):
        return self.start(host, label, [PYTHON, PEER, *args])

    def stop_cleanly(self, proc):
        """SIGINT an lp2p process; it must exit 0 having parsed every packet it received."""
        proc.signal(signal.SIGINT)
        self.assertEqual(proc.wait_exit(5), 0, f"{proc.label}: exit status after SIGINT")
        stats = proc.find_events(is_event("stats"))
        self.assertEqual(len(stats), 1, f"{proc.label}: one stats line expected")
        self.assertGreater(stats[0][1].get("packets-received", 0), 0)
        self.assertEqual(stats[0][1].get("malformed-packets"), 0,
                         f"{proc.label}: zeroconf's packets counted as malformed")

    def check_sn(self, sn, what):
        """TXT sn: base64url without padding of the 20-byte certificate serial: a positive DER
        INTEGER (first bit 0), bytes 0..15 a UUID v4 (version nibble 4, RFC 4122 variant 10),
        bytes 16..19 the big-endian counter, 1 for the first certificate. Returns the 20 bytes."""
        self.assertIsNotNone(sn, f"{what}: TXT sn missing")
        text = sn.decode("ascii", "replace")
        self.assertRegex(text, SN_TOKEN, f"{what}: TXT sn {sn!r} is not 27 base64url characters")
        raw = base64.urlsafe_b64decode(text + "=")
        self.assertEqual(len(raw), 20, f"{what}: sn decodes to {raw.hex()}")
        self.assertEqual(base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), text,
                         f"{what}: sn {text!r} is not the canonical encoding of {raw.hex()}")
        self.assertEqual(raw[0] & 0x80, 0, f"{what}: serial {raw.hex()} would be negative in DER")
        self.assertEqual(raw[6] >> 4, 4, f"{what}: serial {raw.hex()}: byte 6 is not UUID version 4")
        self.assertEqual(raw[8] >> 6, 0b10, f"{what}: serial {raw.hex()}: byte 8 is not the RFC 4122 variant")
        self.assertEqual(int.from_bytes(raw[16:], "big"), 1, f"{what}: serial {raw.hex()}: counter is not 1")
        return raw

    def resolve_on(self, host, label, instances, family="4"):
        """zeroconf browses on host until it has resolved every instance name in `instances`;
        returns {instance: resolved event} (failing the test if one is missing)."""
        zc = self.zeroconf(host, label, "browse", "--family", family, "--want", str(len(instances)),
                           "--timeout", str(RESOLVE_WITHIN))
        out = {}
        for instance in instances:
            got = zc.wait_event(lambda e, i=instance: e.get("event") == "resolved" and e.get("instance") == i,
                                RESOLVE_WITHIN + 5)
            self.assertIsNotNone(got, f"{label}: zeroconf did not resolve {instance!r}")
            out[instance] = got[1]
        return out

    @staticmethod
    def txt_of(ev):
        return {k.lower(): bytes.fromhex(v) if v is not None else None for k, v in ev["txt"].items()}

    # ---- a) zeroconf finds us -----------------------------------------------------------------

    def test_zeroconf_resolves_our_agent(self):
        adv = self.advertise("a", "advertise-a", "Interop agent")
        fp, port, name = adv.info["fingerprint"], adv.info["port"], adv.info["name"]
        a4, a6 = self.lab.addr("a", "4"), self.lab.addr("a", "6")
        a_ll = self.lab.addr("a", "ll").split("%")[0]
        browsers = [(self.zeroconf("b", "zeroconf-browse-b-v4", "browse", "--family", "4",
                                   "--timeout", str(RESOLVE_WITHIN)), {a4}),
                    (self.zeroconf("c", "zeroconf-browse-c-v6", "browse", "--family", "6",
                                   "--timeout", str(RESOLVE_WITHIN)), {a6, a_ll})]
        for zc, own_addrs in browsers:
            got = zc.wait_event(lambda e: e.get("event") == "resolved", RESOLVE_WITHIN + 5)
            self.assertIsNotNone(got, f"{zc.label}: zeroconf did not resolve our instance")
            t, ev = got
            self.note(f"{zc.label}: resolved after {t - zc.t_start:.3f} s: {ev}")
            self.assertEqual(ev["instance"], name)
            self.assertEqual(ev["name"], f"{name}._openscreen._udp.local.")
            self.assertEqual(ev["port"], port)
            addrs = {a.split("%")[0] for a in ev["addresses"]}
            self.assertTrue(own_addrs & addrs, f"{zc.label}: none of {own_addrs} in {ev['addresses']}")
            for a in addrs:
                self.assertIn(a, {a4, a6, a_ll}, f"{zc.label}: {a} is not an address of host a")
            txt = {k.lower(): bytes.fromhex(v) if v is not None else None for k, v in ev["txt"].items()}
            self.assertEqual(txt.get("fp"), fp.encode(), "TXT fp")
            self.assertEqual(len(base64.b64decode(txt["fp"], validate=True)), 32, "fp is base64 of SHA-256")
            self.assertEqual(txt.get("mv"), b"\x00", "TXT mv must be the binary QUIC varint 0")
            at = txt.get("at")
            self.assertIsNotNone(at, "TXT at missing")
            self.assertEqual(len(at), 9, f"TXT at {at!r}")
            self.assertRegex(at.decode("ascii", "replace"), BASE64_TOKEN)
            raw = self.check_sn(txt.get("sn"), zc.label)
            self.note(f"{zc.label}: TXT keys {sorted(txt)}, sn {txt['sn'].decode()} = serial {raw.hex()}")
        self.stop_cleanly(adv)

    def test_sn_is_kept_across_restarts(self):
        """The serial behind sn lives in the state directory (agent-serial): advertise stopped and
        started again with the same --state-dir publishes the same sn (and fp); another state
        directory gives another serial."""
        state = self.state_dir("agent-a")
        adv = self.advertise("a", "advertise-a-run1", "Serial agent", state="agent-a")
        first = self.resolve_on("b", "zeroconf-browse-b-run1", ["Serial agent"])["Serial agent"]
        self.stop_cleanly(adv)
        self.assertTrue(os.path.isfile(os.path.join(state, "agent-serial")),
                        f"no agent-serial in the state directory: {sorted(os.listdir(state))}")
        sn1 = self.txt_of(first).get("sn")
        raw1 = self.check_sn(sn1, "first run")

        again = self.advertise("a", "advertise-a-run2", "Serial agent", state="agent-a")
        other = self.advertise("c", "advertise-c-other", "Other serial agent")
        found = self.resolve_on("b", "zeroconf-browse-b-run2", ["Serial agent", "Other serial agent"])
        sn2 = self.txt_of(found["Serial agent"]).get("sn")
        sn_other = self.txt_of(found["Other serial agent"]).get("sn")
        self.note(f"sn: first run {sn1!r}, second run {sn2!r}, other state dir {sn_other!r}")
        self.check_sn(sn2, "second run")
        self.assertEqual(sn2, sn1, "a restart with the same state directory changed sn")
        self.assertEqual(self.txt_of(found["Serial agent"]).get("fp"), self.txt_of(first).get("fp"))
        raw_other = self.check_sn(sn_other, "other state directory")
        self.assertNotEqual(raw_other[:16], raw1[:16], "two state directories share a serial base")
        for p in (again, other):
            self.stop_cleanly(p)

    def test_zeroconf_browser_finds_our_group_subtype(self):
        """With subtypes published as "_<group>", zeroconf's own ServiceBrowser (which only
        browses subtypes whose label starts with "_") can browse the group directly."""
        alpha = self.advertise("a", "advertise-a-alpha", "Alpha agent", "--group", "alpha")
        self.advertise("c", "advertise-c-beta", "Beta agent", "--group", "beta")
        zc = self.zeroconf("b", "zeroconf-browse-b-alpha", "browse", "--type",
                           "_alpha._sub._openscreen._udp.local.", "--want", "0", "--timeout", "3")
        self.assertEqual(zc.wait_exit(20), 0, "zeroconf browse failed")
        found = [e for _, e in zc.find_events(lambda e: e.get("event") in ("resolved", "unresolved"))]
        self.note(f"ServiceBrowser on subtype alpha: {found}")
        self.assertEqual([(e["event"], e["instance"]) for e in found], [("resolved", "Alpha agent")])
        self.assertEqual(found[0]["type"], "_alpha._sub._openscreen._udp.local.")
        self.assertEqual(found[0]["port"], alpha.info["port"])
        self.assertEqual(bytes.fromhex(found[0]["txt"]["fp"]).decode(), alpha.info["fingerprint"])

    def test_zeroconf_finds_our_group_subtype(self):
        """An app group is a DNS-SD subtype (RFC 6763 §7.1), published as "_<group>": zeroconf's
        PTR query for _alpha._sub._openscreen._udp.local. lists the alpha agent and not the beta
        one."""
        alpha = self.advertise("a", "advertise-a-alpha", "Alpha agent", "--group", "alpha")
        self.advertise("c", "advertise-c-beta", "Beta agent", "--group", "beta")
        zc = self.zeroconf("b", "zeroconf-query-b-alpha", "query-ptr", "--type",
                           "_alpha._sub._openscreen._udp.local.", "--want", "0", "--timeout", "2.5")
        self.assertEqual(zc.wait_exit(15), 0, "zeroconf query failed")
        found = [e for _, e in zc.find_events(lambda e: e.get("event") in ("resolved", "unresolved"))]
        self.note(f"resolved through subtype alpha: {found}")
        self.assertEqual([(e["event"], e["instance"]) for e in found], [("resolved", "Alpha agent")])
        self.assertEqual(found[0]["port"], alpha.info["port"])
        self.assertEqual(bytes.fromhex(found[0]["txt"]["fp"]).decode(), alpha.info["fingerprint"])

    # ---- b) we find zeroconf ------------------------------------------------------------------

    def test_our_discover_finds_zeroconf_instance(self):
        fp = base64.b64encode(bytes(range(32))).decode()
        pub = self.zeroconf("a", "zeroconf-publish-a", "publish", "--name", "Zeroconf peer", "--port", "45678",
                            "--fp", fp, "--family", "all", "--duration", "60")
        # A second one with mv = 256 as a two-byte QUIC varint (0x4100).
        fp2 = base64.b64encode(bytes(range(1, 33))).decode()
        pub2 = self.zeroconf("c", "zeroconf-publish-c", "publish", "--name", "Zeroconf peer two", "--port",
                             "45679", "--fp", fp2, "--mv", "4100", "--family", "all", "--duration", "60")
        for p in (pub, pub2):
            self.assertIsNotNone(p.wait_event(lambda e: e.get("event") == "published", 10),
                                 f"{p.label}: zeroconf did not publish")
        disc = self.discover("b", "discover-b")
        got = self.wait_added(disc, fp, RESOLVE_WITHIN)
        self.assertIsNotNone(got, "our discover did not list the zeroconf instance")
        t, ev = got
        self.note(f"zeroconf instance listed after {t - disc.t_start:.3f} s: {ev}")
        self.assertEqual(ev.get("name"), "Zeroconf peer")
        self.assertEqual(ev.get("metadata-version"), 0)
        self.assertEqual(ev.get("providers"), ["dns-sd"])
        addrs = ev.get("addresses") or []
        self.assertIn(f"{self.lab.addr('a')}:45678", addrs)
        self.assertIn(f"[{self.lab.addr('a', '6')}]:45678", addrs)
        for a in addrs:
            self.assertTrue(a.endswith(":45678"), f"wrong port in {a}")

        got2 = self.wait_added(disc, fp2, RESOLVE_WITHIN)
        self.assertIsNotNone(got2, "our discover did not list the second zeroconf instance")
        self.note(f"second zeroconf instance: {got2[1]}")
        self.assertEqual(got2[1].get("metadata-version"), 256, "mv 0x4100 is the varint 256")
        self.assertIn(f"{self.lab.addr('c')}:45679", got2[1].get("addresses"))

        # zeroconf's goodbye removes the instance at once.
        t_stop = pub.signal(signal.SIGINT)
        self.assertIsNotNone(pub.wait_event(lambda e: e.get("event") == "unregistered", 10))
        got = disc.wait_event(is_event("removed", fp), GOODBYE_WITHIN + 5)
        self.assertIsNotNone(got, "zeroconf's goodbye did not remove the instance")
        self.note(f"removed {got[0] - t_stop:.3f} s after zeroconf was told to unregister")
        self.assertLessEqual(got[0] - t_stop, GOODBYE_WITHIN)
        self.assertEqual(disc.find_events(is_event("removed", fp2)), [], "the other instance stays")
        self.stop_cleanly(disc)

    def test_our_discover_finds_ipv4_only_zeroconf_instance(self):
        """A zeroconf instance with only an IPv4 address. zeroconf then adds NSEC records ("this
        host has no AAAA") to its responses; 0.47 writes their type bitmap wrongly (2-byte window
        and length), but the records around them are fine and must still be used."""
        fp = base64.b64encode(bytes(range(2, 34))).decode()
        pub = self.zeroconf("c", "zeroconf-publish-c", "publish", "--name", "Zeroconf v4 peer", "--port",
                            "45680", "--fp", fp, "--family", "4", "--duration", "60")
        self.assertIsNotNone(pub.wait_event(lambda e: e.get("event") == "published", 10),
                             "zeroconf did not publish")
        disc = self.discover("b", "discover-b")
        got = self.wait_added(disc, fp, RESOLVE_WITHIN)
        self.assertIsNotNone(got, "our discover did not list the IPv4-only zeroconf instance")
        self.note(f"IPv4-only zeroconf instance listed after {got[0] - disc.t_start:.3f} s: {got[1]}")
        self.assertEqual(got[1].get("name"), "Zeroconf v4 peer")
        self.assertEqual(got[1].get("metadata-version"), 0)
        self.assertEqual(got[1].get("addresses"), [f"{self.lab.addr('c')}:45680"])


if __name__ == "__main__":
    lp2p_it.main(python_modules=["zeroconf"])
