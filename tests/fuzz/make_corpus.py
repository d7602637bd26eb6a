#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (committed; rerun after changing this file).

corpus/codec/<name>.bin          one whole message (type key ‖ CBOR), as codec_fuzz takes it.
corpus/stream_reader/<name>.bin  stream_reader_fuzz's input: a control byte, chunk sizes, then the
                                 stream (see stream_reader_fuzz.cpp for the layout).
corpus/session/<name>.bin        session_fuzz's input: a control byte, then records of stream pieces
                                 and session operations (see session_fuzz.cpp for the layout).
corpus/data_channels/<name>.bin  data_channels_fuzz's input: records of bidirectional stream pieces
                                 and channel operations (see data_channels_fuzz.cpp for the layout).
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
P256_G = ("046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
          "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
AGENT_INFO = "a5 00 62 5456 01 64 6c703270 02 82 19044c 1904b0 03 68 6142336445366748 04 81 65 656e2d5553"

# The wire examples of osp-brief.md §3.2, then more messages of every type and liberal forms.
MESSAGES = {
    "agent-info-request": "0a a1 00 01",
    "agent-status-request": "0c a1 00 02",
    "auth-capabilities": "43e9 a3 00 18 32 01 81 00 02 14",
    "auth-status-authenticated": "43ec a1 00 00",
    "data-channel-open-request": "444d a4 00 03 01 00 02 64 63686174 03 60",
    "data-channel-open-response": "444e a2 00 03 01 01",
    "data-frame-string-hello": "18 a2 00 01 04 45 68656c6c6f",
    "auth-spake2-handshake": "43ed a3 00 a1 00 69 4162332b3978597a2f 01 01 02 58 41 " + P256_G,
    "agent-info-response": "0b a2 00 07 01 " + AGENT_INFO,
    "agent-info-event": "4078 a1 00 " + AGENT_INFO,
    "agent-status-response-with-status": "0d a2 00 05 01 a1 00 62 6f6b",
    "auth-spake2-confirmation": "43eb a1 00 58 20 " + "5a" * 32,
    "auth-spake2-handshake-needs-presentation": "43ed a2 00 a0 01 00",
    "data-frame-blob-300": "18 a2 00 00 04 59 012c " + "a5" * 300,
    "data-frame-empty": "18 a2 00 02 04 40",
    # liberal forms
    "liberal-indefinite-data-channel-open-request":
        "444d bf 00 03 01 00 02 7f 62 6368 62 6174 ff 03 7f ff ff",
    "liberal-indefinite-payload": "18 a2 00 01 04 5f 42 6865 40 43 6c6c6f ff",
    "liberal-null-arrays-and-bytes": "4078 a1 00 a5 00 6141 01 6142 02 f6 03 6143 04 f6",
    "liberal-null-public-value": "43ed a3 00 a0 01 00 02 f6",
    "liberal-extension-fields":
        "0a a2 00 01 63 657874 a3 61 61 83 01 9f 02 ff a1 61 62 41 00 61 63 c1 02 61 64 f9 3e00",
    "liberal-non-minimal-heads": "0a a1 1800 1b0000000000000001",
    "liberal-non-minimal-type-key": "c00000000000000c a1 00 09",
    "liberal-keys-out-of-order": "444d a4 03 60 02 64 63686174 01 00 00 03",
    "go-lp2p-need-psk-99001": "800182b9 a1 00 69 4162332b3978597a2f",
    # errors (decode gives an Error; the reader may still frame them)
    "error-wrong-type-label": "444d a4 00 03 01 00 02 05 03 60",
    "error-duplicate-key": "0a a2 00 01 00 02",
    "error-huge-byte-string": "18 a2 00 01 04 5b ffffffffffffffff",
    "error-nested-arrays": "0a a2 00 01 6178 " + "81" * 40 + "00",
}

# Streams for the reader: several messages back to back.
STREAMS = {
    "stream-handshake": ["auth-capabilities", "auth-spake2-handshake", "auth-spake2-confirmation",
                         "auth-status-authenticated"],
    "stream-data-channel": ["data-channel-open-request", "data-channel-open-response",
                            "data-frame-string-hello", "data-frame-blob-300", "data-frame-empty",
                            "liberal-indefinite-payload"],
    "stream-metadata": ["agent-info-request", "agent-info-response", "agent-info-event",
                        "agent-status-request", "agent-status-response-with-status"],
    "stream-liberal": ["liberal-indefinite-data-channel-open-request", "liberal-null-arrays-and-bytes",
                       "liberal-extension-fields", "liberal-non-minimal-heads",
                       "liberal-non-minimal-type-key", "go-lp2p-need-psk-99001"],
}


def unhex(text):
    return bytes.fromhex(text.replace(" ", ""))


def control(chunk_sizes, small_limit=False, small_depth=False):
    """The reader fuzzer's prefix: control byte, then the chunk sizes (cycled over the stream)."""
    assert len(chunk_sizes) <= 15
    byte = len(chunk_sizes) | (0x10 if small_limit else 0) | (0x20 if small_depth else 0)
    return bytes([byte] + chunk_sizes)


def write(folder, name, data):
    path = HERE / "corpus" / folder / (name + ".bin")
    path.write_bytes(data)


# session_fuzz records (layout in session_fuzz.cpp).
def piece(slot, data, bidi=False, fin=True):
    """Stream bytes for a stream slot, with a one- or two-byte length."""
    op = (slot & 7) | (0x08 if bidi else 0) | (0x10 if fin else 0)
    if len(data) < 256:
        return bytes([op, len(data)]) + data
    return bytes([op | 0x20, len(data) >> 8, len(data) & 0xff]) + data


START, AUTHENTICATED, TIMER_DUE, NOTE_SENT = b"\x80", b"\x81", b"\x82", b"\x86"


def wait(tenths):
    return bytes([0x83, tenths])


def reset(slot):
    return bytes([0x84, slot])


def rename(name):
    return bytes([0x85, len(name)]) + name


def session_seeds():
    m = {name: unhex(text) for name, text in MESSAGES.items()}
    info_response_1 = unhex("0b a2 00 01 01 " + AGENT_INFO)  # answers our agent-info-request 1
    status_response_2 = unhex("0d a1 00 02")                  # answers keepalive request-id 2
    handshake = b"".join(m[k] for k in STREAMS["stream-handshake"])
    return {
        "info-exchange": b"\x00" + START + piece(0, m["agent-info-request"]) +
                         piece(1, info_response_1) + piece(2, m["agent-info-event"]),
        "keepalive": b"\x02" + wait(160) + TIMER_DUE + piece(0, status_response_2) +
                     piece(1, m["agent-status-request"]) + NOTE_SENT + wait(200),
        "auth-then-data-channel": b"\x02" + piece(0, handshake) + AUTHENTICATED +
                                  piece(1, m["data-channel-open-request"], bidi=True, fin=False) +
                                  piece(1, m["data-frame-blob-300"], bidi=True),
        "data-channel-before-auth": b"\x02" + piece(1, m["data-channel-open-request"], bidi=True) +
                                    piece(2, m["data-channel-open-request"]) + piece(3, m["data-frame-empty"]),
        "chunked-info-response": b"\x00" + START +
                                 piece(4, info_response_1[:5], fin=False) +
                                 piece(4, info_response_1[5:9], fin=False) +
                                 piece(4, info_response_1[9:]) + rename(b"Den"),
        "reset-mid-message": b"\x02" + piece(5, info_response_1[:7], fin=False) + reset(5) +
                             piece(6, m["agent-info-request"]),
        "extension-drained": b"\x02" + piece(0, m["go-lp2p-need-psk-99001"] + b"\xff\xff", fin=False) +
                             piece(0, b"\x00", fin=True) + piece(1, m["agent-info-request"]),
        "unknown-type-key": b"\x02" + piece(0, unhex("5000 a0")) + piece(1, m["agent-info-request"]),
        "malformed-and-small-limit": b"\x03" + piece(0, m["error-duplicate-key"]) +
                                     piece(1, m["data-frame-blob-300"] * 2),
        "liberal-stream": b"\x02" + piece(7, b"".join(m[k] for k in STREAMS["stream-liberal"])),
    }


# data_channels_fuzz records (layout in data_channels_fuzz.cpp).
def dc_piece(slot, data, fin=False):
    """Stream bytes on peer stream `slot` (7: our last opened stream), two-byte length form."""
    assert len(data) < 65536
    return bytes([0x10 | (0x08 if fin else 0) | slot, len(data) >> 8, len(data) & 0xFF]) + data


def data_channel_seeds():
    m = {k: unhex(v) for k, v in MESSAGES.items()}
    request = m["data-channel-open-request"]          # id 0, label "chat"
    response = m["data-channel-open-response"]        # request-id 3, success
    hello = m["data-frame-string-hello"]
    return {
        "incoming-chat-then-close": dc_piece(0, request + hello + m["data-frame-empty"]) +
                                    dc_piece(0, b"", fin=True),
        "incoming-byte-by-byte": b"".join(dc_piece(0, request[i:i + 1]) for i in range(len(request))) +
                                 dc_piece(0, hello),
        "duplicate-id": dc_piece(0, request) + dc_piece(1, request),
        "ours-open-send-close": bytes([0x80, 0xFF]) + dc_piece(7, response + hello) +
                                bytes([0x81, 0x01, 0x20, 0x82, 0x01]) + dc_piece(7, b"", fin=True),
        "data-before-request": dc_piece(2, hello),
        "oversized": dc_piece(0, request) + dc_piece(0, m["data-frame-blob-300"] * 20),
        "reset-and-connection-closed": dc_piece(0, request) + bytes([0x83, 0x00, 0x80, 0x05, 0x84]),
    }


def main():
    for name, text in MESSAGES.items():
        message = unhex(text)
        write("codec", name, message)
        write("stream_reader", name, control([]) + message)
    for name, parts in STREAMS.items():
        stream = b"".join(unhex(MESSAGES[p]) for p in parts)
        write("stream_reader", name + "-one-chunk", control([]) + stream)
        write("stream_reader", name + "-byte-by-byte", control([1]) + stream)
        write("stream_reader", name + "-chunks-3-7-0-64", control([3, 7, 0, 64]) + stream)
    big = b"".join(unhex(MESSAGES[p]) for p in STREAMS["stream-data-channel"])
    write("stream_reader", "stream-data-channel-small-limit", control([5, 200], small_limit=True) + big)
    write("stream_reader", "nested-arrays-small-depth",
          control([2], small_depth=True) + unhex(MESSAGES["error-nested-arrays"]))
    (HERE / "corpus" / "session").mkdir(exist_ok=True)
    for name, data in session_seeds().items():
        write("session", name, data)
    (HERE / "corpus" / "data_channels").mkdir(exist_ok=True)
    for name, data in data_channel_seeds().items():
        write("data_channels", name, data)


if __name__ == "__main__":
    main()
