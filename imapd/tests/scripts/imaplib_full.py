# Drives eider-imapd with Python's imaplib; every step asserts. PORT/USER/PASS from the env.
import imaplib, os, re, sys

PORT = int(os.environ["PORT"])
M = imaplib.IMAP4("127.0.0.1", PORT)

def flat(data):
    return b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data if x is not None)

def ok(res, what):
    typ, data = res
    assert typ == "OK", f"{what}: {typ} {data}"
    return data

# Wrong password, then the right one.
try:
    M.login(os.environ["USER"], "wrong")
    raise SystemExit("login with a wrong password succeeded")
except imaplib.IMAP4.error as e:
    assert "AUTHENTICATIONFAILED" in str(e), e
ok(M.login(os.environ["USER"], os.environ["PASS"]), "login")
caps = ok(M.capability(), "capability")[0].decode().upper().split()
for c in ("IMAP4REV1", "UIDPLUS", "MOVE", "IDLE", "CONDSTORE", "ESEARCH", "SPECIAL-USE"):
    assert c in caps, (c, caps)

# LIST / CREATE / RENAME / DELETE / SUBSCRIBE
data = ok(M.list(), "list")
names = [d.decode() for d in data]
assert any(n.endswith(' INBOX') for n in names), names
assert any('\\Sent' in n for n in names), names
ok(M.create("Work/Projects"), "create nested")
data = ok(M.list('""', "Work*"), "list Work*")
text = b"\n".join(data).decode()
assert '(\\HasChildren) "/" Work' in text, text
assert '(\\HasNoChildren) "/" Work/Projects' in text, text
ok(M.rename("Work", "Job"), "rename")
text = b"\n".join(ok(M.list('""', "*"), "list")).decode()
assert "Job/Projects" in text and "Work" not in text, text
ok(M.subscribe("Job"), "subscribe")
text = b"\n".join(ok(M.lsub('""', "*"), "lsub")).decode()
assert '"/" Job' in text, text
ok(M.unsubscribe("Job"), "unsubscribe")
ok(M._simple_command("CREATE", "Receipts", "(USE (\\Archive))"), "create special use")
typ, data = M._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"', "RETURN", "(STATUS", "(MESSAGES", "UIDNEXT))")
assert typ == "OK"
lists = M.untagged_responses.pop("LIST", [])
statuses = M.untagged_responses.pop("STATUS", [])
assert any(b"Receipts" in l and b"\\Archive" in l for l in lists), lists
assert all(b"Job" not in l for l in lists), lists
assert statuses and all(b"MESSAGES" in s for s in statuses), statuses
ok(M.delete("Job/Projects"), "delete child")
ok(M.delete("Job"), "delete")
typ, data = M.delete("Nope")
assert typ == "NO" and b"NONEXISTENT" in data[0], data

# APPEND: byte-exact round trip, flags, internal date, APPENDUID
msgs = []
for i in range(1, 6):
    body = (f"From: Sender {i} <s{i}@example.org>\r\nTo: alice@example.org\r\n"
            f"Subject: message {i}\r\nMessage-ID: <id{i}@example.org>\r\n"
            f"Date: Mon, 0{i} Jan 2024 10:00:00 +0000\r\n\r\n"
            f"Body of message {i} keyword{i}\r\nline two\r\n").encode()
    msgs.append(body)
    typ, data = M.append("INBOX", "(\\Flagged)" if i == 2 else None,
                         imaplib.Time2Internaldate(1700000000 + i), body)
    assert typ == "OK", data
    assert re.search(rb"\[APPENDUID \d+ %d\]" % i, data[0]), data
typ, data = M.append("NoSuchBox", None, None, b"Subject: x\r\n\r\nx\r\n")
assert typ == "NO" and b"TRYCREATE" in data[0], data

# SELECT
data = ok(M.select("INBOX"), "select")
assert data == [b"5"], data
assert M.untagged_responses.get("RECENT") == [b"5"], M.untagged_responses
assert M.untagged_responses.get("UIDNEXT") == [b"6"], M.untagged_responses

# FETCH every item
typ, data = M.fetch("2", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID MODSEQ)")
assert typ == "OK", data
line = data[0].decode()
for item in ("FLAGS (\\Flagged \\Recent)", "INTERNALDATE", f"RFC822.SIZE {len(msgs[1])}",
             "ENVELOPE (", "BODY (", "BODYSTRUCTURE (", "UID 2", "MODSEQ ("):
    assert item in line, (item, line)
for i, body in enumerate(msgs, start=1):
    typ, data = M.fetch(str(i), "(BODY.PEEK[] RFC822.SIZE)")
    assert data[0][1] == body, (i, data)
    assert f"RFC822.SIZE {len(body)}".encode() in flat(data), data
typ, data = M.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject)])")
assert data[0][1] == b"Subject: message 1\r\n\r\n", data
typ, data = M.fetch("1", "(BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[]<0.4>)")
f = flat(data)
assert b"Body of message 1 keyword1" in f, data
assert b"BODY[]<0> {4}From" in f, data
typ, data = M.fetch("1", "(RFC822.HEADER)")
assert data[0][1].startswith(b"From: Sender 1") and data[0][1].endswith(b"\r\n\r\n"), data
# Non-PEEK sets \Seen and reports it.
typ, data = M.fetch("3", "(BODY[TEXT])")
assert b"\\Seen" in flat(data), data
typ, data = M.fetch("3", "(RFC822.TEXT)")
assert data[0][1] == b"Body of message 3 keyword3\r\nline two\r\n", data
typ, data = M.fetch("3", "(RFC822)")
assert data[0][1] == msgs[2], data
typ, data = M.fetch("3", "FLAGS")
assert b"\\Seen" in data[0], data
typ, data = M.uid("FETCH", "1:*", "(FLAGS)")
assert typ == "OK" and len(data) == 5 and b"UID 5" in data[4], data

# SEARCH
typ, data = M.search(None, "ALL")
assert data == [b"1 2 3 4 5"], data
typ, data = M.search(None, "FLAGGED")
assert data == [b"2"], data
typ, data = M.search(None, "SEEN")
assert data == [b"3"], data
typ, data = M.search(None, 'SUBJECT "message 4"')
assert data == [b"4"], data
typ, data = M.search(None, "BODY keyword5")
assert data == [b"5"], data
typ, data = M.uid("SEARCH", "FROM", "s1@example.org")
assert data == [b"1"], data
typ, data = M._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT)", "ALL")
assert typ == "OK"
es = M.untagged_responses.pop("ESEARCH", [])
assert es and b"MIN 1 MAX 5 COUNT 5" in es[0], es

# STORE
typ, data = M.store("1:2", "+FLAGS", "(\\Deleted $Work)")
assert typ == "OK" and len(data) == 2 and b"\\Deleted" in data[0] and b"$Work" in data[0], data
typ, data = M.store("2", "-FLAGS", "(\\Flagged)")
assert b"\\Flagged" not in data[0], data
typ, data = M.store("4", "FLAGS.SILENT", "(\\Answered)")
# CONDSTORE is on (FETCH MODSEQ enabled it): .SILENT still reports the new MODSEQ, no FLAGS.
assert typ == "OK" and len(data) == 1 and b"MODSEQ" in data[0] and b"FLAGS" not in data[0], data
typ, data = M.fetch("4", "FLAGS")
assert b"\\Answered" in data[0], data

# COPY / MOVE
ok(M.create("Archive/2024"), "create")
typ, data = M.copy("3:4", "Archive/2024")
assert typ == "OK" and re.search(rb"\[COPYUID \d+ 3:4 1:2\]", data[0]), data
typ, data = M.copy("1", "Nowhere")
assert typ == "NO" and b"TRYCREATE" in data[0], data
typ, data = M._simple_command("MOVE", "5", "Archive/2024")
assert typ == "OK", data
oks = M.untagged_responses.pop("OK", [])
assert any(b"COPYUID" in o for o in oks), oks
exp = M.untagged_responses.pop("EXPUNGE", [])
assert exp == [b"5"], exp
typ, data = M.status("Archive/2024", "(MESSAGES UIDNEXT UNSEEN SIZE)")
assert b"MESSAGES 3" in data[0] and b"UIDNEXT 4" in data[0], data

# EXPUNGE: messages 1 and 2 are \Deleted
typ, data = M.expunge()
assert typ == "OK" and data == [b"1", b"1"], data
typ, data = M.search(None, "ALL")
assert data == [b"1 2"], data

# EXAMINE is read-only for every changing command
typ, data = M.select("Archive/2024", readonly=True)
assert typ == "OK"
for args in (("STORE", "1", "+FLAGS", "(\\Seen)"), ("EXPUNGE",)):
    typ, data = M._simple_command(*args)
    assert typ == "NO", (args, typ, data)
typ, data = M.uid("STORE", "1", "+FLAGS", "(\\Seen)")
assert typ == "NO", data
typ, data = M.uid("MOVE", "1", "INBOX")
assert typ == "NO", data
# Message 2 there is the copy of INBOX 4 (\Answered, unseen).
typ, data = M.fetch("2", "(BODY[])")
assert b"\\Seen" not in flat(data), data
typ, data = M.fetch("2", "FLAGS")
assert b"\\Seen" not in data[0], data
ok(M.close(), "close")

# Quota (no limit configured: GETQUOTAROOT names no root)
typ, data = M.getquotaroot("INBOX")
assert typ == "OK", data

# Rename INBOX moves its messages (RFC 3501 §6.3.5)
ok(M.rename("INBOX", "Old"), "rename inbox")
typ, data = M.status("INBOX", "(MESSAGES)")
assert b"MESSAGES 0" in data[0], data
typ, data = M.status("Old", "(MESSAGES)")
assert b"MESSAGES 2" in data[0], data
typ, _ = M.logout()
assert typ == "BYE", typ
print("all imaplib checks passed")
