"""An aiosmtpd handler that refuses recipients at nobody.example (550, a
permanent refusal) and keeps the rest in a maildir, as a real mail server
does with an address it has no mailbox for. Used as
`python -m aiosmtpd -c refusing_smtp.Refusing MAILDIR` with this folder on PYTHONPATH."""
from aiosmtpd.handlers import Mailbox


class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@nobody.example"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
