"""An independent check of a hardbench DSSE envelope: Python's `cryptography`
(Debian's python3-cryptography), not hardbench, verifies the signature over
the DSSE pre-authentication encoding with the signer's OpenSSH public key.

Usage: verify_dsse.py ENVELOPE.json KEY.pub
Prints the payload type and exits 0 when a signature verifies, exits 1 when
none does.
"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def verifies(key, sig: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, data)
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, data, padding.PKCS1v15(), hashes.SHA512())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise SystemExit(f"unsupported key type {type(key).__name__}")
    except InvalidSignature:
        return False
    return True


def main() -> int:
    envelope = json.load(open(sys.argv[1]))
    key = serialization.load_ssh_public_key(open(sys.argv[2], "rb").read())
    data = pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))
    for signature in envelope["signatures"]:
        if verifies(key, base64.b64decode(signature["sig"]), data):
            print(envelope["payloadType"])
            return 0
    print("no signature verifies", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
