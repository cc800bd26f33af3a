"""A loopback SMTP sink for development: prints each message, keeps the last ones."""
import email
import email.policy
import time

from aiosmtpd.controller import Controller


class PrintingHandler:
    def __init__(self, echo=print):
        self.echo, self.messages = echo, []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        body = msg.get_body(preferencelist=("plain",))
        self.echo(f"--- mail to {', '.join(envelope.rcpt_tos)}: {msg['Subject']}\n"
                  f"{body.get_content().strip() if body else ''}\n---", flush=True)
        return "250 OK"


def serve(host, port):
    import logging
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP verb
    controller = Controller(PrintingHandler(), hostname=host, port=port)
    controller.start()
    print(f"mail sink listening on {host}:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
