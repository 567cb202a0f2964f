# IDLE over a raw socket (imaplib before 3.14 has no IDLE) while imaplib changes the mailbox.
import imaplib, os, socket, time

PORT = int(os.environ["PORT"])
USER, PASS = os.environ["USER"], os.environ["PASS"]

s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
f = s.makefile("rb")

def send(line):
    s.sendall(line.encode() + b"\r\n")

def until(tag):
    lines = []
    while True:
        l = f.readline().decode().rstrip("\r\n")
        assert l, "connection closed"
        lines.append(l)
        if l.startswith(tag + " "):
            return lines

assert f.readline().startswith(b"* OK")
send(f"a LOGIN {USER} {PASS}")
assert until("a")[-1].startswith("a OK")
send("b SELECT INBOX")
assert "* 0 EXISTS" in until("b")
send("c IDLE")
assert f.readline().startswith(b"+ ")

M = imaplib.IMAP4("127.0.0.1", PORT)
M.login(USER, PASS)
msg = b"From: x@example.org\r\nSubject: during idle\r\n\r\nbody\r\n"
t0 = time.monotonic()
typ, data = M.append("INBOX", None, None, msg)
assert typ == "OK", data
got = [f.readline().decode().rstrip("\r\n") for _ in range(2)]
elapsed = time.monotonic() - t0
assert got == ["* 1 EXISTS", "* 1 RECENT"], got
assert elapsed < 1.0, elapsed

M.select("INBOX")
typ, data = M.store("1", "+FLAGS", "(\\Flagged)")
assert typ == "OK", data
l = f.readline().decode().rstrip("\r\n")
assert l == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))", l
typ, data = M.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
assert typ == "OK", data
l = f.readline().decode().rstrip("\r\n")
assert l == "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Deleted \\Recent))", l
typ, data = M.uid("EXPUNGE", "1")
assert typ == "OK", (typ, data)
assert M.response("EXPUNGE") == ("EXPUNGE", [b"1"]), M.untagged_responses
l = f.readline().decode().rstrip("\r\n")
assert l == "* 1 EXPUNGE", l
# The expunged message was recent here: the RECENT count follows (RFC 3501 §7.3.2).
l = f.readline().decode().rstrip("\r\n")
assert l == "* 0 RECENT", l
M.logout()

send("DONE")
assert until("c") == ["c OK IDLE terminated"]
send("d LOGOUT")
until("d")
print("idle checks passed")
